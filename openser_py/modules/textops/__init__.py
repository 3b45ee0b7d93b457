"""textops: text operations on the SIP message (OpenSER 1.3 ``textops``).

Exports only; the logic is in :mod:`.textops_funcs` (search, replace,
subst, body), :mod:`.hf_funcs` (headers, reply headers, method, privacy),
:mod:`.subst` (sed-like expressions) and :mod:`.posix_re` (POSIX regexes).
"""
from openser_py.core.exports import (
    BRANCH_ROUTE, CmdExport, ERROR_ROUTE, FAILURE_ROUTE, ModuleExports,
    ONREPLY_ROUTE, REQUEST_ROUTE)
from openser_py.modules.textops import hf_funcs as hf
from openser_py.modules.textops import textops_funcs as tf

_ANY = REQUEST_ROUTE | ONREPLY_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE
_REQ = REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE

_RE = "POSIX extended regex, case-insensitive, newline-sensitive"
_SUBST = "'/re/repl/flags': any delimiter, \\0-\\9 and PVs in repl, " \
         "flags i g s"
_HDR_TXT = "full header line(s) ending in \\r\\n; PVs allowed"
_HNAME = "header name (compact forms match known headers)"

exports = ModuleExports(
    name="textops",
    cmds=(
        CmdExport("search", tf.w_search, 1, tf.fixup_regex, None, _ANY,
                  doc="True if the regex matches anywhere in the message "
                      "(first line included).", params_doc=(_RE,)),
        CmdExport("search_body", tf.w_search_body, 1, tf.fixup_regex, None,
                  _ANY, doc="True if the regex matches in the body.",
                  params_doc=(_RE,)),
        CmdExport("search_append", tf.w_search_append, 2, tf.fixup_regex,
                  None, _ANY,
                  doc="Insert the text after the first match (headers and "
                      "body, first line excluded).",
                  params_doc=(_RE, "literal text")),
        CmdExport("search_append_body", tf.w_search_append_body, 2,
                  tf.fixup_regex, None, _ANY,
                  doc="Insert the text after the first match in the body.",
                  params_doc=(_RE, "literal text")),
        CmdExport("replace", tf.w_replace, 2, tf.fixup_regex, None, _ANY,
                  doc="Replace the first match (first line excluded).",
                  params_doc=(_RE, "literal text")),
        CmdExport("replace_body", tf.w_replace_body, 2, tf.fixup_regex, None,
                  _ANY, doc="Replace the first match in the body.",
                  params_doc=(_RE, "literal text")),
        CmdExport("replace_all", tf.w_replace_all, 2, tf.fixup_regex, None,
                  _ANY,
                  doc="Replace every match (first line excluded); false "
                      "and no change if a match is empty.",
                  params_doc=(_RE, "literal text")),
        CmdExport("replace_body_all", tf.w_replace_body_all, 2,
                  tf.fixup_regex, None, _ANY,
                  doc="Replace every match in the body.",
                  params_doc=(_RE, "literal text")),
        CmdExport("subst", tf.w_subst, 1, tf.fixup_subst, None, _ANY,
                  doc="sed-like substitution on headers and body (first "
                      "line excluded).", params_doc=(_SUBST,)),
        CmdExport("subst_uri", tf.w_subst_uri, 1, tf.fixup_subst, None,
                  _REQ, doc="sed-like substitution on the whole R-URI.",
                  params_doc=(_SUBST,)),
        CmdExport("subst_user", tf.w_subst_user, 1, tf.fixup_subst, None,
                  _REQ, doc="sed-like substitution on the R-URI user part "
                            "(an empty result removes the user).",
                  params_doc=(_SUBST,)),
        CmdExport("subst_body", tf.w_subst_body, 1, tf.fixup_subst, None,
                  _ANY, doc="sed-like substitution on the body.",
                  params_doc=(_SUBST,)),
        CmdExport("filter_body", tf.w_filter_body, 1, tf.fixup_mime, None,
                  _ANY,
                  doc="Keep only the content of the first part of that type "
                      "of a multipart body; the Content-Type header is not "
                      "changed (as 1.3).", params_doc=("type/subtype",)),
        CmdExport("append_to_reply", hf.w_append_to_reply, 1,
                  hf.fixup_rpl_text, None,
                  REQUEST_ROUTE | BRANCH_ROUTE | ERROR_ROUTE,
                  doc="Add header text to the next locally generated reply.",
                  params_doc=(_HDR_TXT,)),
        CmdExport("append_hf", hf.w_append_hf, 1, hf.fixup_hf_text, None,
                  _ANY, doc="Add header text after the last header.",
                  params_doc=(_HDR_TXT,)),
        CmdExport("append_hf", hf.w_append_hf, 2, hf.fixup_hf_text, None,
                  _ANY,
                  doc="Add header text after the first header with that "
                      "name (after the last header if there is none).",
                  params_doc=(_HDR_TXT, _HNAME)),
        CmdExport("insert_hf", hf.w_insert_hf, 1, hf.fixup_hf_text, None,
                  _ANY, doc="Add header text before the first header.",
                  params_doc=(_HDR_TXT,)),
        CmdExport("insert_hf", hf.w_insert_hf, 2, hf.fixup_hf_text, None,
                  _ANY,
                  doc="Add header text before the first header with that "
                      "name (before the first header if there is none).",
                  params_doc=(_HDR_TXT, _HNAME)),
        CmdExport("append_urihf", hf.w_append_urihf, 2, hf.fixup_urihf, None,
                  _REQ,
                  doc="Add the header prefix + current R-URI + suffix after "
                      "the last header.",
                  params_doc=("literal prefix", "literal suffix, ending in "
                              "\\r\\n")),
        CmdExport("remove_hf", hf.w_remove_hf, 1, hf.fixup_hname, None, _ANY,
                  doc="Remove every header with that name; false if none.",
                  params_doc=(_HNAME,)),
        CmdExport("is_present_hf", hf.w_is_present_hf, 1, hf.fixup_hname,
                  None, _ANY, doc="True if a header with that name exists.",
                  params_doc=(_HNAME,)),
        CmdExport("append_time", hf.w_append_time, 0, None, None, _REQ,
                  doc="Add 'Date: <now, GMT>' to the next local reply."),
        CmdExport("is_method", hf.w_is_method, 1, hf.fixup_method, None,
                  _ANY,
                  doc="Method (CSeq method for replies) is one of the "
                      "'|'-separated list (known methods only) or equals an "
                      "unknown name (case-insensitive).",
                  params_doc=("METHOD or METHOD1|METHOD2...",)),
        CmdExport("has_body", tf.w_has_body, 0, None, None, _ANY,
                  doc="True if Content-Length is present and not 0."),
        CmdExport("has_body", tf.w_has_body, 1, tf.fixup_mime, None, _ANY,
                  doc="True if there is a body of that type (no "
                      "Content-Type means application/sdp).",
                  params_doc=("type/subtype",)),
        CmdExport("is_privacy", hf.w_is_privacy, 1, hf.fixup_privacy, None,
                  _ANY,
                  doc="True if the Privacy header holds that value.",
                  params_doc=("user, header, session, none, critical, id "
                              "or history",)),
    ),
    doc="Text operations on the message: regex search/replace, sed-like "
        "subst, header add/insert/remove, reply headers, method, body and "
        "privacy checks.  Regexes are POSIX extended, compiled once at "
        "start-up; header texts must end in \\r\\n (not added).",
)
