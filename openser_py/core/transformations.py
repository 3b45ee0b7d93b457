"""Transformations of pseudo-variable values (OpenSER 1.3
``transformations.c``): ``$(ru{uri.user})``, ``$(var(x){s.substr,1,2})``...

A chain ``{class.name[,param...]}{...}`` is parsed once (at config load) by
:func:`parse_transformations` into a list of callables ``tr(msg, value)``
applied left to right.  A transformation that cannot be applied (a null
input, an out-of-range ``substr``, a value that is not a URI...) raises
:class:`TrError`; the PV then reads as null and prints as nothing, which
is what OpenSER's failing ``run_transformations`` amounts to.

Classes and names (case-insensitive, as 1.3):

* ``s``: ``len``, ``int``, ``md5``, ``substr,offset,length``,
  ``select,index,separator``, ``encode.hexa``, ``decode.hexa``,
  ``escape.common``, ``unescape.common``, ``escape.user``,
  ``unescape.user``;
* ``uri``: ``user``, ``host`` (``domain``), ``passwd``, ``port``,
  ``params``, ``param,name``, ``headers``, ``transport``, ``ttl``,
  ``uparam``, ``maddr``, ``method``, ``lr``, ``r2`` (absent parts give
  ``""``);
* ``param`` (a ``a=b;c=d`` list): ``value,name``, ``name,index`` and --
  later OpenSER/Kamailio additions, kept for convenience -- ``valueat,index``
  and ``count``.

Numeric parameters are numbers or PVs, string parameters words or PVs.
"""
from hashlib import md5

from openser_py.core import pvar as _pv
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_param import parse_params
from openser_py.parser.parse_uri import parse_uri

__all__ = ["TrError", "parse_transformations", "run_transformations",
           "escape_common", "unescape_common", "escape_user",
           "unescape_user"]

_WS = " \t\n"


class TrError(Exception):
    """A transformation failed at run time (the PV value becomes null)."""


# -- helpers on values ------------------------------------------------------

def _as_str(val):
    """The string form of a value; a null value cannot be transformed."""
    if val is None:
        raise TrError("null value")
    if isinstance(val, str):
        return val
    return str(val)


def _as_uri_text(val):
    """uri/param classes need a non-empty string value."""
    if not isinstance(val, str) or not val:
        raise TrError("string value required")
    return val


def _str2sint(text):
    """OpenSER ``str2sint``: optional sign, then decimal digits only."""
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isdigit() or not digits.isascii():
        raise TrError("%r is not an integer" % text)
    return -int(digits) if text[0] == "-" else int(digits)


def _num_param(param, msg):
    """Evaluate a numeric parameter (an int or a PvSpec giving an int)."""
    if param.__class__ is int:
        return param
    num = _pv.pv_int(param.get(msg))
    if num is None:
        raise TrError("parameter %s has no integer value" % param.text)
    return num


def _str_param(param, msg):
    """Evaluate a string parameter (a str or a PvSpec giving a string)."""
    if param.__class__ is str:
        return param
    val = param.get(msg)
    if not isinstance(val, str) or not val:
        raise TrError("parameter %s has no string value" % param.text)
    return val


# -- escaping (strcommon.c) -------------------------------------------------

_COMMON_ESC = {"'": "\\'", '"': '\\"', "\\": "\\\\", "\0": "\\0"}
_COMMON_UNESC = {"'": "'", '"': '"', "\\": "\\", "0": "\0"}
_USER_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "-_.!~*'()&=+$,;?")
_HEX = "0123456789abcdef"
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


def escape_common(text):
    """Backslash-escape ``'``, ``"``, ``\\`` and NUL (NUL as ``\\0``)."""
    return "".join(_COMMON_ESC.get(c, c) for c in text)


def unescape_common(text):
    """Reverse :func:`escape_common`; unknown escapes are kept as written."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in _COMMON_UNESC:
            out.append(_COMMON_UNESC[text[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def escape_user(text):
    """%-escape what may not appear in a URI user part (lower-case hex).

    Characters outside 32..126 are an error, as in OpenSER.
    """
    out = []
    for c in text:
        code = ord(c)
        if code < 32 or code > 126:
            raise TrError("invalid character %d to escape" % code)
        if c in _USER_SAFE:
            out.append(c)
        else:
            out.append("%" + _HEX[code >> 4] + _HEX[code & 15])
    return "".join(out)


def unescape_user(text):
    """Decode %-escapes; bad hex or a result outside 32..126 is an error."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "%":
            pair = text[i + 1:i + 3]
            if len(pair) != 2 or not _HEXDIGITS.issuperset(pair):
                raise TrError("invalid hex digit in %r" % text)
            code = int(pair, 16)
            if code < 32 or code > 126:
                raise TrError("invalid escaped character %d" % code)
            out.append(chr(code))
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


# -- string class -----------------------------------------------------------

def _tr_len(msg, val):
    return len(_as_str(val))


def _tr_int(msg, val):
    if val is None:
        raise TrError("null value")
    num = _pv.pv_int(val)
    if num is not None:
        return num
    return _str2sint(val)


def _to_bytes(text):
    """Message text is latin-1 mapped; other text (cfg strings) is UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _tr_md5(msg, val):
    return md5(_to_bytes(_as_str(val))).hexdigest()


def _tr_encode_hexa(msg, val):
    return _to_bytes(_as_str(val)).hex()


def _tr_decode_hexa(msg, val):
    text = _as_str(val)
    even = text[:len(text) & ~1]
    if not _HEXDIGITS.issuperset(even):
        raise TrError("invalid hexa string %r" % text)
    return bytes.fromhex(even).decode("latin-1")


def _tr_escape_common(msg, val):
    return escape_common(_as_str(val))


def _tr_unescape_common(msg, val):
    return unescape_common(_as_str(val))


def _tr_escape_user(msg, val):
    return escape_user(_as_str(val))


def _tr_unescape_user(msg, val):
    return unescape_user(_as_str(val))


def _substr(text, i, j):
    """OpenSER's substr rules (see the module docstring of the reference)."""
    if j < 0:
        raise TrError("substr negative length")
    n = len(text)
    if i >= 0:
        if i >= n:
            raise TrError("substr out of range")
        if i + j >= n or j == 0:
            return text[i:]
        return text[i:i + j]
    i = -i
    if i > n:
        raise TrError("substr out of range")
    if i < j or j == 0:
        return text[n - i:]
    return text[n - i:n - i + j]


def _make_substr(p1, p2):
    def tr(msg, val):
        text = _as_str(val)
        return _substr(text, _num_param(p1, msg), _num_param(p2, msg))
    return tr


def _make_select(p1, sep):
    def tr(msg, val):
        parts = _as_str(val).split(sep)
        idx = _num_param(p1, msg)
        if -len(parts) <= idx < len(parts):
            return parts[idx]
        return ""
    return tr


_STRING_SIMPLE = {
    "len": _tr_len, "int": _tr_int, "md5": _tr_md5,
    "encode.hexa": _tr_encode_hexa, "decode.hexa": _tr_decode_hexa,
    "escape.common": _tr_escape_common,
    "unescape.common": _tr_unescape_common,
    "escape.user": _tr_escape_user, "unescape.user": _tr_unescape_user,
}


# -- uri class --------------------------------------------------------------

_uri_cache = [None, None]     # last text, its SipUri (as OpenSER's static)


def _parsed(val):
    text = _as_uri_text(val)
    if _uri_cache[0] != text:
        try:
            uri = parse_uri(text)
        except SipParseError as exc:
            raise TrError("invalid uri %r: %s" % (text, exc.reason)) from None
        _uri_cache[0] = text
        _uri_cache[1] = uri
    return _uri_cache[1]


def _uri_attr(attr):
    def tr(msg, val):
        found = getattr(_parsed(val), attr)
        return "" if found is None else found
    return tr


def _tr_uri_port(msg, val):
    uri = _parsed(val)
    if uri.port:
        return uri.port_no
    return _pv.IntStr("", 0)


def _make_uri_param(p1):
    def tr(msg, val):
        uri = _parsed(val)
        name = _str_param(p1, msg).lower()
        for pname, pval in uri.param_list:
            if pname.lower() == name:
                return pval or ""
        return ""
    return tr


_URI_SIMPLE = {
    "user": _uri_attr("user"), "host": _uri_attr("host"),
    "domain": _uri_attr("host"), "passwd": _uri_attr("passwd"),
    "port": _tr_uri_port, "params": _uri_attr("params"),
    "headers": _uri_attr("headers"), "transport": _uri_attr("transport"),
    "ttl": _uri_attr("ttl"), "uparam": _uri_attr("user_param"),
    "maddr": _uri_attr("maddr"), "method": _uri_attr("method"),
    "lr": _uri_attr("lr"), "r2": _uri_attr("r2"),
}


# -- param class ------------------------------------------------------------

_plist_cache = [None, None]


def _plist(val):
    text = _as_uri_text(val)
    if _plist_cache[0] != text:
        body = text.strip(_WS)
        if body[:1] == ";":
            body = body[1:]
        try:
            params = [(n.strip(), v) for n, v in parse_params(body)]
        except SipParseError as exc:
            raise TrError("invalid param list %r: %s"
                          % (text, exc.reason)) from None
        _plist_cache[0] = text
        _plist_cache[1] = params
    if not _plist_cache[1]:
        raise TrError("empty param list")
    return _plist_cache[1]


def _make_param_value(p1):
    def tr(msg, val):
        params = _plist(val)
        name = _str_param(p1, msg).lower()
        for pname, pval in params:
            if pname.lower() == name:
                return pval or ""
        return ""
    return tr


def _make_param_at(p1, want_value):
    def tr(msg, val):
        params = _plist(val)
        idx = _num_param(p1, msg)
        if -len(params) <= idx < len(params):
            pname, pval = params[idx]
            return (pval or "") if want_value else pname
        return ""
    return tr


def _tr_param_count(msg, val):
    return len(_plist(val))


# -- parsing ----------------------------------------------------------------

def _skip_ws(text, pos):
    n = len(text)
    while pos < n and text[pos] in _WS:
        pos += 1
    return pos


def _error(text, what):
    return _pv.PvError("bad transformation in %r: %s" % (text, what))


def _parse_nparam(text, pos):
    """A numeric parameter: ``[+-]digits`` or a PV.  -> (param, pos)."""
    pos = _skip_ws(text, pos)
    if text[pos:pos + 1] == "$":
        return _pv.parse_pv_spec_at(text, pos)
    sign = 1
    if text[pos:pos + 1] in ("+", "-"):
        sign = -1 if text[pos] == "-" else 1
        pos = _skip_ws(text, pos + 1)
    start = pos
    while pos < len(text) and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    if pos == start:
        raise _error(text, "number or pseudo-variable expected at %d" % start)
    return sign * int(text[start:pos]), pos


def _parse_sparam(text, pos):
    """A string parameter: a word or a PV.  -> (param, pos)."""
    pos = _skip_ws(text, pos)
    if text[pos:pos + 1] == "$":
        return _pv.parse_pv_spec_at(text, pos)
    start = pos
    while pos < len(text) and text[pos] not in " \t\n,}":
        pos += 1
    if pos >= len(text):
        raise _error(text, "unterminated parameter")
    if pos == start:
        raise _error(text, "empty parameter")
    return text[start:pos], pos


def _expect(text, pos, char):
    pos = _skip_ws(text, pos)
    if text[pos:pos + 1] != char:
        raise _error(text, "%r expected at %d" % (char, pos))
    return pos + 1


def _parse_one(text, pos, tclass, name):
    """Parse the parameters of one transformation; -> (callable, pos).

    *pos* is at the ``,`` or ``}`` that ends the name; the returned
    position is just past the closing ``}``.
    """
    lname = name.lower()
    if tclass == "s":
        if lname in _STRING_SIMPLE:
            return _STRING_SIMPLE[lname], _expect(text, pos, "}")
        if lname == "substr":
            p1, pos = _parse_nparam(text, _expect(text, pos, ","))
            p2, pos = _parse_nparam(text, _expect(text, pos, ","))
            if p2.__class__ is int and p2 < 0:
                raise _error(text, "substr negative length")
            return _make_substr(p1, p2), _expect(text, pos, "}")
        if lname == "select":
            p1, pos = _parse_nparam(text, _expect(text, pos, ","))
            pos = _expect(text, pos, ",")
            if pos >= len(text):
                raise _error(text, "select separator missing")
            sep = text[pos]
            return _make_select(p1, sep), _expect(text, pos + 1, "}")
    elif tclass == "uri":
        if lname in _URI_SIMPLE:
            return _URI_SIMPLE[lname], _expect(text, pos, "}")
        if lname == "param":
            p1, pos = _parse_sparam(text, _expect(text, pos, ","))
            return _make_uri_param(p1), _expect(text, pos, "}")
    elif tclass == "param":
        if lname == "value":
            p1, pos = _parse_sparam(text, _expect(text, pos, ","))
            return _make_param_value(p1), _expect(text, pos, "}")
        if lname in ("name", "valueat"):
            p1, pos = _parse_nparam(text, _expect(text, pos, ","))
            return (_make_param_at(p1, lname == "valueat"),
                    _expect(text, pos, "}"))
        if lname == "count":
            return _tr_param_count, _expect(text, pos, "}")
    raise _error(text, "unknown transformation {%s.%s}" % (tclass, name))


def parse_transformations(text, pos=0):
    """Parse ``{...}{...}`` starting at ``text[pos] == "{"``.

    Returns ``(list_of_callables, end)`` where *end* is the index of the
    first character after the chain (blanks after the last ``}`` are
    skipped).  Raises :class:`~openser_py.core.pvar.PvError`.
    """
    trans = []
    n = len(text)
    while True:
        pos = _skip_ws(text, pos)
        if pos >= n or text[pos] != "{":
            break
        pos += 1
        dot = text.find(".", pos)
        stop = min((i for i in (text.find(",", pos), text.find("}", pos))
                    if i >= 0), default=-1)
        if dot < 0 or dot == pos or (0 <= stop < dot):
            raise _error(text, "transformation class expected at %d" % pos)
        tclass = text[pos:dot].lower()
        if tclass not in ("s", "uri", "param"):
            raise _error(text, "unknown transformation class %r"
                         % text[pos:dot])
        pos = dot + 1
        end = pos
        while end < n and text[end] not in ",}":
            end += 1
        if end >= n:
            raise _error(text, "unterminated transformation")
        name = text[pos:end].strip(_WS)
        func, pos = _parse_one(text, end, tclass, name)
        trans.append(func)
    if not trans:
        raise _error(text, "transformation expected at %d" % pos)
    return trans, pos


def run_transformations(trans, msg, val):
    """Apply a parsed chain to *val*; raises :class:`TrError`."""
    for tr in trans:
        val = tr(msg, val)
    return val
