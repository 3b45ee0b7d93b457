"""textops: regex search/replace and subst on the message, body checks.

Every function works on the message text with offsets (``msg.buf`` seen
through latin-1: one byte is one character) and records its changes as
lumps; ``msg.buf`` is never touched.  Regions, as in OpenSER 1.3:

* ``search`` looks at the whole message (first line included);
* ``search_append``, ``replace``, ``replace_all`` and ``subst`` start after
  the first line (so the R-URI cannot be damaged) and run to the end of the
  body;
* the ``*_body`` variants look at the body only.

Regexes are POSIX extended, compiled once by the fixups with
``REG_EXTENDED|REG_ICASE|REG_NEWLINE`` (see :mod:`.posix_re`); subst
expressions have their own flags (:mod:`.subst`).  The replacement text of
``replace*`` and ``search_append*`` is literal (1.3 takes no PVs there);
``subst*`` replacements may hold back-references and PVs.
"""
from openser_py.core import dset
from openser_py.core.dprint import LM_ERR
from openser_py.core.exports import FixupError
from openser_py.core.posix_re import PosixReError, compile_ere
from openser_py.core.re_subst import SubstError, parse_subst
from openser_py.parser import data_lump
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_content import (
    parse_content_type, parse_part_headers)
from openser_py.parser.parse_uri import parse_uri

_CTX_TEXT = "textops.text"
# what may follow a boundary delimiter (RFC 2046 5.1.1); "" = body end
_DELIM_END = ("", "-", " ", "\t", "\r", "\n")


# -- fixups -------------------------------------------------------------------

def fixup_regex(value, param_no):
    """Param 1: a POSIX ERE, case-insensitive, newline-sensitive."""
    if param_no != 1:
        return value
    try:
        return compile_ere(value, icase=True, newline=True)
    except PosixReError as exc:
        raise FixupError("bad regular expression %r: %s"
                         % (value, exc)) from None


def fixup_subst(value, param_no):
    """A ``/re/repl/flags`` expression."""
    try:
        return parse_subst(value)
    except SubstError as exc:
        raise FixupError("bad subst expression %r: %s"
                         % (value, exc)) from None


def fixup_mime(value, param_no):
    """``type/subtype`` -> its lower-cased form."""
    try:
        ctype = parse_content_type(value.strip(" \t"))
    except SipParseError:
        raise FixupError("%r is not a type/subtype" % value) from None
    if ctype.params:
        raise FixupError("%r: parameters are not allowed" % value)
    return ctype.mime


# -- message text -------------------------------------------------------------

def msg_text(msg):
    """The whole message as ``str`` (decoded once per message)."""
    if not msg.body:
        return msg.hdr_text
    ctx = msg.ctx
    text = ctx.get(_CTX_TEXT)
    if text is None:
        text = ctx[_CTX_TEXT] = msg.buf.decode("latin-1")
    return text


def _after_first_line(msg):
    """(region text, its offset): from the first header to the end."""
    start = msg.first_line_end
    return msg_text(msg)[start:], start


def _body(msg):
    """(body text, its offset), or (None, 0) for an empty body."""
    if not msg.body:
        return None, 0
    return msg_text(msg)[msg.body_offset:], msg.body_offset


# -- search / replace ---------------------------------------------------------

def w_search(msg, rx):
    """``search(re)``: the regex matches somewhere in the message."""
    return 1 if rx.search(msg_text(msg)) else -1


def w_search_body(msg, rx):
    """``search_body(re)``: the regex matches in the body."""
    text, _ = _body(msg)
    return 1 if text is not None and rx.search(text) else -1


def _search_append(msg, rx, text, base, add):
    if text is None:
        return -1
    m = rx.search(text)
    if m is None:
        return -1
    data_lump.insert_after(msg, base + m.end(), add)
    return 1


def w_search_append(msg, rx, add):
    """``search_append(re, txt)``: insert txt after the first match."""
    text, base = _after_first_line(msg)
    return _search_append(msg, rx, text, base, add)


def w_search_append_body(msg, rx, add):
    """``search_append_body(re, txt)``: same, in the body."""
    text, base = _body(msg)
    return _search_append(msg, rx, text, base, add)


def _replace(msg, rx, text, base, repl):
    if text is None:
        return -1
    m = rx.search(text)
    if m is None:
        return -1
    data_lump.delete(msg, base + m.start(), base + m.end()).insert_after(repl)
    return 1


def w_replace(msg, rx, repl):
    """``replace(re, txt)``: replace the first match."""
    text, base = _after_first_line(msg)
    return _replace(msg, rx, text, base, repl)


def w_replace_body(msg, rx, repl):
    """``replace_body(re, txt)``: same, in the body."""
    text, base = _body(msg)
    return _replace(msg, rx, text, base, repl)


def _replace_all(msg, rx, text, base, repl):
    if text is None:
        return -1
    spans = []
    for m in rx.finditer(text):
        if m.start() == m.end():
            LM_ERR("matched string is empty... invalid regexp?")
            return -1
        spans.append(m.span())
    if not spans:
        return -1
    for start, end in spans:
        data_lump.delete(msg, base + start, base + end).insert_after(repl)
    return 1


def w_replace_all(msg, rx, repl):
    """``replace_all(re, txt)``: replace every match (none if one is empty)."""
    text, base = _after_first_line(msg)
    return _replace_all(msg, rx, text, base, repl)


def w_replace_body_all(msg, rx, repl):
    """``replace_body_all(re, txt)``: same, in the body."""
    text, base = _body(msg)
    return _replace_all(msg, rx, text, base, repl)


# -- subst --------------------------------------------------------------------

def _subst(msg, se, text, base):
    if text is None:
        return -1
    try:
        found = se.run(text, msg)
    except SubstError as exc:
        LM_ERR("subst failed: %s", exc)
        return -1
    if not found:
        return -1
    for start, end, repl in found:
        data_lump.delete(msg, base + start, base + end).insert_after(repl)
    return 1


def w_subst(msg, se):
    """``subst('/re/repl/flags')`` on headers and body."""
    text, base = _after_first_line(msg)
    return _subst(msg, se, text, base)


def w_subst_body(msg, se):
    """``subst_body('/re/repl/flags')`` on the body."""
    text, base = _body(msg)
    return _subst(msg, se, text, base)


def w_subst_uri(msg, se):
    """``subst_uri('/re/repl/flags')``: rewrite the whole R-URI."""
    if not msg.is_request:
        return -1
    try:
        result = se.subst_str(dset.get_request_uri(msg), msg)
    except SubstError as exc:
        LM_ERR("subst_uri failed: %s", exc)
        return -1
    if result is None:
        return -1
    msg.new_uri = result
    return 1


def w_subst_user(msg, se):
    """``subst_user('/re/repl/flags')``: rewrite the R-URI user part."""
    if not msg.is_request:
        return -1
    try:
        uri = parse_uri(dset.get_request_uri(msg))
    except SipParseError as exc:
        LM_ERR("cannot parse the R-URI: %s", exc.reason)
        return -1
    try:
        user = se.subst_str(uri.user, msg)
    except SubstError as exc:
        LM_ERR("subst_user failed: %s", exc)
        return -1
    if user is None:
        return -1
    uri.user = user
    if not user:
        uri.passwd = ""
    msg.new_uri = str(uri)
    return 1


# -- body ---------------------------------------------------------------------

def _delimiters(body, delim):
    """Offsets ``(line start, line end)`` of each delimiter line."""
    out = []
    pos = body.find(delim)
    while pos >= 0:
        after = body[pos + len(delim):pos + len(delim) + 1]
        if (pos == 0 or body[pos - 1] == "\n") and after in _DELIM_END:
            eol = body.find("\n", pos)
            out.append((pos, len(body) if eol < 0 else eol + 1))
            if body.startswith("--", pos + len(delim)):
                break                   # the close delimiter
        pos = body.find(delim, pos + len(delim))
    return out


def _part_body(body, start, end):
    """Offset where the content of the part ``body[start:end]`` begins."""
    if body.startswith("\r\n", start) or body.startswith("\n", start):
        return start + (2 if body[start] == "\r" else 1)
    crlf = body.find("\r\n\r\n", start, end)
    lf = body.find("\n\n", start, end)
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf + 4
    return lf + 2 if lf >= 0 else end


def _part_mime(block):
    """Lower-cased type/subtype of a part header block, or None."""
    for name, value in parse_part_headers(block.encode("latin-1")):
        low = name.lower()
        if low in ("content-type", "c"):
            return parse_content_type(value).mime
    return None


def w_filter_body(msg, mime):
    """``filter_body("type/subtype")``: keep only the first part of that
    type of a multipart body (the part content, without its headers).  The
    message Content-Type is left alone, as in 1.3: fix it in the script."""
    body, base = _body(msg)
    if body is None:
        return -1
    try:
        ctype = msg.content_type
        if ctype is None or not ctype.is_multipart or not ctype.boundary:
            return -1
        delims = _delimiters(body, "--" + ctype.boundary)
        for (_s, start), (end, _e) in zip(delims, delims[1:]):
            cstart = _part_body(body, start, end)
            if _part_mime(body[start:cstart]) == mime:
                break
        else:
            return -1
    except SipParseError as exc:
        LM_ERR("bad multipart body: %s", exc.reason)
        return -1
    if cstart > 0:
        data_lump.delete(msg, base, base + cstart)
    if end < len(body):
        data_lump.delete(msg, base + end, base + len(body))
    return 1


def w_has_body(msg, mime=None):
    """``has_body()`` / ``has_body("type/subtype")``: Content-Length > 0
    (and that Content-Type; none means ``application/sdp``)."""
    if not msg.content_length:
        return -1
    if mime is None:
        return 1
    try:
        ctype = msg.content_type
    except SipParseError:
        LM_ERR("failed to parse the Content-Type")
        return -1
    have = ctype.mime if ctype is not None else "application/sdp"
    return 1 if have == mime else -1
