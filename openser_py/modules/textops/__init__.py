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

# parameter descriptions appended to the docs
_RE = " re: POSIX extended regex, case-insensitive, newline-sensitive."
_TXT = " txt: literal text (no PVs)."
_SUBST = (" The expression is <d>re<d>repl<d>flags with any delimiter <d>;"
          " repl may hold \\0-\\9 and PVs; flags: i (ignore case), g (every"
          " match), s (the regex may match across lines).")
_HDR = (" txt: full header line(s) ending in \\r\\n (not added); PVs"
        " allowed.")
_HNAME = " A known header also matches under its compact form."
_MIME = " mime: type/subtype, case-insensitive."
_SE = ("'/re/repl/flags'",)

exports = ModuleExports(
    name="textops",
    cmds=(
        CmdExport("search", tf.w_search, 1, tf.fixup_regex, None, _ANY,
                  doc="True if the regex matches anywhere in the message "
                      "(first line included)." + _RE,
                  params_doc=("re",)),
        CmdExport("search_body", tf.w_search_body, 1, tf.fixup_regex, None,
                  _ANY, doc="True if the regex matches in the body." + _RE,
                  params_doc=("re",)),
        CmdExport("search_append", tf.w_search_append, 2, tf.fixup_regex,
                  None, _ANY,
                  doc="Insert txt after the first match (headers and body, "
                      "first line excluded)." + _RE + _TXT,
                  params_doc=("re", "txt")),
        CmdExport("search_append_body", tf.w_search_append_body, 2,
                  tf.fixup_regex, None, _ANY,
                  doc="Insert txt after the first match in the body."
                      + _RE + _TXT,
                  params_doc=("re", "txt")),
        CmdExport("replace", tf.w_replace, 2, tf.fixup_regex, None, _ANY,
                  doc="Replace the first match by txt (first line "
                      "excluded)." + _RE + _TXT,
                  params_doc=("re", "txt")),
        CmdExport("replace_body", tf.w_replace_body, 2, tf.fixup_regex, None,
                  _ANY,
                  doc="Replace the first match in the body by txt."
                      + _RE + _TXT,
                  params_doc=("re", "txt")),
        CmdExport("replace_all", tf.w_replace_all, 2, tf.fixup_regex, None,
                  _ANY,
                  doc="Replace every match by txt (first line excluded); "
                      "false and no change if a match is empty." + _RE + _TXT,
                  params_doc=("re", "txt")),
        CmdExport("replace_body_all", tf.w_replace_body_all, 2,
                  tf.fixup_regex, None, _ANY,
                  doc="Replace every match in the body by txt." + _RE + _TXT,
                  params_doc=("re", "txt")),
        CmdExport("subst", tf.w_subst, 1, tf.fixup_subst, None, _ANY,
                  doc="sed-like substitution on headers and body (first "
                      "line excluded)." + _SUBST,
                  params_doc=_SE),
        CmdExport("subst_uri", tf.w_subst_uri, 1, tf.fixup_subst, None,
                  _REQ,
                  doc="sed-like substitution on the whole R-URI; false if "
                      "nothing matched." + _SUBST,
                  params_doc=_SE),
        CmdExport("subst_user", tf.w_subst_user, 1, tf.fixup_subst, None,
                  _REQ,
                  doc="sed-like substitution on the R-URI user part (an "
                      "empty result removes the user)." + _SUBST,
                  params_doc=_SE),
        CmdExport("subst_body", tf.w_subst_body, 1, tf.fixup_subst, None,
                  _ANY, doc="sed-like substitution on the body." + _SUBST,
                  params_doc=_SE),
        CmdExport("filter_body", tf.w_filter_body, 1, tf.fixup_mime, None,
                  _ANY,
                  doc="Keep only the content of the first part of that type "
                      "of a multipart body.  The Content-Type header is not "
                      "changed (as in 1.3): fix it in the script." + _MIME,
                  params_doc=("mime",)),
        CmdExport("append_to_reply", hf.w_append_to_reply, 1,
                  hf.fixup_rpl_text, None,
                  REQUEST_ROUTE | BRANCH_ROUTE | ERROR_ROUTE,
                  doc="Add txt to the next locally generated reply." + _HDR,
                  params_doc=("txt",)),
        CmdExport("append_hf", hf.w_append_hf, 1, hf.fixup_hf_text, None,
                  _ANY, doc="Add txt after the last header." + _HDR,
                  params_doc=("txt",)),
        CmdExport("append_hf", hf.w_append_hf, 2, hf.fixup_hf_text, None,
                  _ANY,
                  doc="Add txt after the first header named hdr (after the "
                      "last header if there is none)." + _HDR + _HNAME,
                  params_doc=("txt", "hdr")),
        CmdExport("insert_hf", hf.w_insert_hf, 1, hf.fixup_hf_text, None,
                  _ANY, doc="Add txt before the first header." + _HDR,
                  params_doc=("txt",)),
        CmdExport("insert_hf", hf.w_insert_hf, 2, hf.fixup_hf_text, None,
                  _ANY,
                  doc="Add txt before the first header named hdr (before "
                      "the first header if there is none)." + _HDR + _HNAME,
                  params_doc=("txt", "hdr")),
        CmdExport("append_urihf", hf.w_append_urihf, 2, hf.fixup_urihf, None,
                  _REQ,
                  doc="Add prefix + current R-URI + suffix after the last "
                      "header; suffix must end in \\r\\n (no PVs).",
                  params_doc=("prefix", "suffix")),
        CmdExport("remove_hf", hf.w_remove_hf, 1, hf.fixup_hname, None, _ANY,
                  doc="Remove every header named hname; false if there is "
                      "none." + _HNAME,
                  params_doc=("hname",)),
        CmdExport("is_present_hf", hf.w_is_present_hf, 1, hf.fixup_hname,
                  None, _ANY,
                  doc="True if a header named hname exists." + _HNAME,
                  params_doc=("hname",)),
        CmdExport("append_time", hf.w_append_time, 0, None, None, _REQ,
                  doc="Add 'Date: <now, GMT>' to the next local reply."),
        CmdExport("is_method", hf.w_is_method, 1, hf.fixup_method, None,
                  _ANY,
                  doc="True if the method (the CSeq method for a reply) is "
                      "one of the '|'-separated known methods of the list "
                      "(e.g. \"INVITE|BYE\"), or equals a single unknown "
                      "name (case-insensitive).",
                  params_doc=("methods",)),
        CmdExport("has_body", tf.w_has_body, 0, None, None, _ANY,
                  doc="True if Content-Length is present and not 0."),
        CmdExport("has_body", tf.w_has_body, 1, tf.fixup_mime, None, _ANY,
                  doc="True if there is a body of that type (no Content-Type "
                      "means application/sdp)." + _MIME,
                  params_doc=("mime",)),
        CmdExport("is_privacy", hf.w_is_privacy, 1, hf.fixup_privacy, None,
                  _ANY,
                  doc="True if the Privacy header holds privacy_type: user, "
                      "header, session, none, critical, id or history.",
                  params_doc=("privacy_type",)),
    ),
    doc="Text operations on the message: regex search/replace, sed-like "
        "subst, header add/insert/remove, reply headers, method, body and "
        "privacy checks.  Regexes are POSIX extended, compiled once at "
        "start-up; all changes are lumps, applied when the message is sent. "
        "Header texts must end in \\r\\n: it is not added (as in 1.3).",
)
