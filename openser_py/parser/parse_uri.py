"""SIP, SIPS and tel URI parser (RFC 3261 section 19.1, 25.1; RFC 3966).

:func:`parse_uri` turns the text of a URI into a :class:`SipUri`.  It is on
the hot path of every request: a SIP URI is split by one precompiled regular
expression whose character classes each exclude the delimiter that ends
them (no nested quantifiers), so even a failed match on hostile input costs
time linear in its length; about 2 microseconds for a common URI.

Layout of a SIP/SIPS URI::

    sip:user;upar=1:passwd@host:port;uri-params?headers

* the *userinfo* ends at the first ``@`` (``@`` is allowed neither in the
  host, nor unescaped in the parameters or headers);  ``;``, ``?`` and ``/``
  are legal inside the user part (RFC 4475 3.1.1.2, 3.1.1.9);
* the password starts at the first ``:`` of the userinfo (a user part cannot
  contain ``:``), so ``sip:+1-212-555-1212:1234@gw.com`` has user
  ``+1-212-555-1212`` and password ``1234``;
* the host is a name, an IPv4 address or an IPv6 reference kept with its
  brackets (``[2001:db8::10]``);
* parameters run from the first ``;`` after the host to the first ``?``.

A tel URI (RFC 3966) has the phone number in ``user``, an empty ``host`` and
its parameters in ``params`` (as OpenSER 1.3 stores it).

%-escapes are kept as written in every component; :attr:`SipUri.unescaped_user`
decodes the user part (an escaped NUL becomes ``"\\x00"``, nothing is cut).
Text is latin-1 mapped ``str`` as everywhere in the parser.

:func:`uri_equal` compares two URIs with the rules of RFC 3261 19.1.4 (and
RFC 3966 section 4 for tel URIs).
"""
import ipaddress
import re

from openser_py.parser.errors import SipParseError
from openser_py.parser.limits import MAX_URI

__all__ = ["SipUri", "parse_uri", "uri_equal", "unescape", "SCHEMES"]

#: schemes the parser understands (the key is the lower-cased scheme)
SCHEMES = frozenset(("sip", "sips", "tel", "tels"))
_TEL_SCHEMES = frozenset(("tel", "tels"))

# RFC 3261 25.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*\Z")
# characters that can never appear in a URI: controls, SP, DEL, <, >, "
_FORBIDDEN_RE = re.compile(r'[\x00-\x20\x7f<>"]')
_NOT_FORBIDDEN = r'\x00-\x20\x7f<>"'
# Everything after "sip:" in one linear pass.  The groups are: user,
# password, host, port, params, headers.  Each class excludes the delimiter
# that ends it, so giving characters back can never make the next item
# match: the repetitions are possessive (``*+``), which also spares sre the
# character-by-character backtracking of the optional userinfo over the
# whole URI when there is no ``@`` (``sip:host;lr;...``: ~1.1 us).
_SIP_RE = re.compile(
    r"(?:([^:@%(x)s]*+)(?::([^@%(x)s]*+))?@)?"
    r"(\[[0-9A-Fa-f:.]++\]|[A-Za-z0-9_][A-Za-z0-9_.\-]*+)"
    r"(?::([0-9]{1,5}+))?"
    r"(?:;([^?%(x)s]*+))?"
    r"(?:\?([^%(x)s]*+))?\Z" % {"x": _NOT_FORBIDDEN})
# a host made only of digits and dots must be an IPv4 address
_DOTTED = "0123456789."
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_RE = re.compile(r"%s(?:\.%s){3}\Z" % (_OCTET, _OCTET))
# RFC 3966 telephone-subscriber (global or local number, visual separators)
_TELNUM_RE = re.compile(r"\+?[0-9A-Fa-f*#().\-]+\Z")
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_VISUAL_SEP_RE = re.compile(r"[\-.()]")

# RFC 3261 25.1 "reserved": escaped and unescaped forms are NOT equivalent
_RESERVED = frozenset(";/?:@&=+$,")


def unescape(text):
    """Decode the %HH escapes of *text* (latin-1 mapped ``str``).

    Malformed escapes (``%`` not followed by two hex digits) are kept as
    written.  An escaped NUL yields ``"\\x00"``; the result is never cut.
    """
    if "%" not in text:
        return text
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _split_params(text):
    """Split ``a=b;c;d=e`` into ``[("a", "b"), ("c", None), ("d", "e")]``.

    Empty segments (``;;``) are skipped; names keep their case.
    """
    out = []
    for seg in text.split(";"):
        if not seg:
            continue
        name, eq, value = seg.partition("=")
        out.append((name, value if eq else None))
    return out


def _split_headers(text):
    """Split URI headers ``a=b&c=d`` into a list of (name, value) pairs."""
    out = []
    for seg in text.split("&"):
        if not seg:
            continue
        name, _eq, value = seg.partition("=")
        out.append((name, value))
    return out


def _shortcut(name):
    """Build the read-only property for the uri-parameter *name*."""
    def getter(self):
        return self._pcache()[1].get(name)
    getter.__name__ = name
    getter.__doc__ = ("Value of the ``%s`` uri-parameter: ``\"\"`` when it "
                      "has no value, None when absent." % name)
    return property(getter)


class SipUri:
    """A parsed sip:, sips: or tel: URI.

    All components are ``str`` exactly as written (escapes included), ``""``
    when absent; ``scheme`` is lower-cased, ``port_no`` is the port as int
    (0 when absent).  ``text`` is the text the URI was parsed from (None for
    a URI built by hand).

    The parameter shortcuts ``transport``, ``ttl``, ``user_param``
    (``;user=``), ``maddr``, ``method``, ``lr`` and ``r2`` give the value of
    that parameter, ``""`` for a parameter without value (``;lr``) and None
    when it is absent; names match case-insensitively, the first occurrence
    wins.  They and :attr:`param_list` are derived from :attr:`params` on
    first use, and follow it if ``params`` is reassigned.  Components may be
    reassigned; ``str(uri)`` rebuilds the URI from them.
    """

    __slots__ = ("scheme", "user", "passwd", "host", "port", "port_no",
                 "params", "headers", "text", "_plist")

    def __init__(self, scheme="sip", user="", passwd="", host="", port="",
                 params="", headers=""):
        self.scheme = scheme
        self.user = user
        self.passwd = passwd
        self.host = host
        self.port = port
        self.port_no = int(port) if port else 0
        self.params = params
        self.headers = headers
        self.text = None
        self._plist = None

    def _pcache(self):
        """(list, dict) views of ``params``, rebuilt when params changed."""
        cached = self._plist
        if cached is None or cached[0] is not self.params:
            plist = _split_params(self.params)
            pdict = {}
            for name, value in plist:
                key = name.lower()
                if key not in pdict:
                    pdict[key] = "" if value is None else value
            cached = (self.params, plist, pdict)
            self._plist = cached
        return cached[1:]

    @property
    def param_list(self):
        """The uri-parameters as an ordered list of (name, value|None)."""
        return self._pcache()[0]

    transport = _shortcut("transport")
    ttl = _shortcut("ttl")
    user_param = _shortcut("user")
    maddr = _shortcut("maddr")
    method = _shortcut("method")
    lr = _shortcut("lr")
    r2 = _shortcut("r2")

    def get_param(self, name, default=None):
        """Value of uri-parameter *name* (case-insensitive).

        Returns ``""`` for a parameter without value, *default* if absent.
        """
        return self._pcache()[1].get(name.lower(), default)

    def has_param(self, name):
        """True if uri-parameter *name* (case-insensitive) is present."""
        return name.lower() in self._pcache()[1]

    @property
    def header_list(self):
        """The URI headers (after ``?``) as a list of (name, value) pairs."""
        return _split_headers(self.headers)

    @property
    def unescaped_user(self):
        """The user part with %-escapes decoded (``%00`` gives ``\\x00``)."""
        return unescape(self.user)

    @property
    def unescaped_passwd(self):
        """The password with %-escapes decoded."""
        return unescape(self.passwd)

    @property
    def is_tel(self):
        """True for a tel: (or tels:) URI."""
        return self.scheme in _TEL_SCHEMES

    def __str__(self):
        parts = [self.scheme, ":"]
        if self.scheme in _TEL_SCHEMES:
            parts.append(self.user)
        else:
            if self.user or self.passwd:
                parts.append(self.user)
                if self.passwd:
                    parts.append(":")
                    parts.append(self.passwd)
                parts.append("@")
            parts.append(self.host)
            if self.port:
                parts.append(":")
                parts.append(self.port)
        if self.params:
            parts.append(";")
            parts.append(self.params)
        if self.headers:
            parts.append("?")
            parts.append(self.headers)
        return "".join(parts)

    def __repr__(self):
        return "SipUri(%r)" % str(self)


def _error(reason, text):
    """Build the SipParseError (400) for a malformed URI."""
    if len(text) > 64:
        text = text[:64] + "..."
    return SipParseError("%s: %r" % (reason, text), 400)


def _new_uri(scheme, text):
    """An empty SipUri for *scheme* (bypasses __init__ for speed)."""
    uri = SipUri.__new__(SipUri)
    uri.scheme = scheme
    uri.user = uri.passwd = uri.host = uri.port = ""
    uri.params = uri.headers = ""
    uri.port_no = 0
    uri.text = text
    uri._plist = None
    return uri


def _parse_tel(scheme, text, start):
    """Parse the part of a tel URI after ``tel:`` (RFC 3966)."""
    if _FORBIDDEN_RE.search(text, start):
        raise _error("illegal character in URI", text)
    rest, q, headers = text[start:].partition("?")
    number, semi, params = rest.partition(";")
    if not _TELNUM_RE.match(number):
        raise _error("bad telephone number in tel URI", text)
    if number[0] == "+" and not any(c.isdigit() for c in number):
        raise _error("global number without digits in tel URI", text)
    uri = _new_uri(scheme, text)
    uri.user = number
    uri.params = params
    uri.headers = headers
    return uri


def _diagnose(text, start):
    """Explain why the part of a SIP URI after the scheme did not match."""
    if _FORBIDDEN_RE.search(text, start):
        return _error("illegal character in URI", text)
    rest = text[start:]
    at = rest.find("@")
    if at == 0 or rest[:at].startswith(":"):
        return _error("empty user part in URI", text)
    if at > 0:
        rest = rest[at + 1:]
    if rest[:1] == "[":
        if "]" not in rest:
            return _error("unterminated IPv6 reference in URI", text)
        return _error("bad IPv6 reference in URI", text)
    hostport = rest.split(";", 1)[0].split("?", 1)[0]
    host, colon, port = hostport.partition(":")
    if not host:
        return _error("empty host in URI", text)
    if colon:
        return _error("bad port in URI", text)
    return _error("bad host in URI", text)


def parse_uri(text):
    """Parse a sip:, sips: or tel: URI.

    :param text: the URI text (latin-1 mapped ``str``) without ``<>``; the
        scheme is case-insensitive.
    :returns: a :class:`SipUri`.
    :raises SipParseError: 400 for a malformed URI or one longer than
        ``limits.MAX_URI``.  For a well-formed scheme that is not supported
        the error also has ``unsupported_scheme = True`` (the message layer
        answers 416 for the Request-URI).
    """
    if len(text) > MAX_URI:
        raise SipParseError("URI too long (%d > %d)" % (len(text), MAX_URI),
                            400)
    colon = text.find(":")
    if colon <= 0:
        raise _error("no scheme in URI", text)
    scheme = text[:colon].lower()
    if scheme == "sip" or scheme == "sips":
        match = _SIP_RE.match(text, colon + 1)
        if match is None:
            raise _diagnose(text, colon + 1)
        user, passwd, host, port, params, headers = match.groups()
        uri = _new_uri(scheme, text)
        if user is not None:
            if not user:
                raise _error("empty user part in URI", text)
            uri.user = user
            if passwd:
                uri.passwd = passwd
        if host[0] == "[":
            try:
                ipaddress.IPv6Address(host[1:-1])
            except ValueError:
                raise _error("bad IPv6 address in URI", text) from None
        elif host[-1] in "0123456789." and not host.strip(_DOTTED) and \
                not _IPV4_RE.match(host):
            raise _error("bad IPv4 address in URI", text)
        uri.host = host
        if port is not None:
            port_no = int(port)
            if port_no > 65535:
                raise _error("port out of range in URI", text)
            uri.port = port
            uri.port_no = port_no
        if params:
            uri.params = params
        if headers:
            uri.headers = headers
        return uri
    if scheme in _TEL_SCHEMES:
        return _parse_tel(scheme, text, colon + 1)
    if _SCHEME_RE.match(text, 0, colon) and not _FORBIDDEN_RE.search(text):
        err = SipParseError("unsupported URI scheme %r" % text[:colon][:32],
                            400)
        err.unsupported_scheme = True
        raise err
    raise _error("bad URI scheme", text)


# -- comparison (RFC 3261 19.1.4) -------------------------------------------

def _norm_escapes(text):
    """Canonical form for comparison: decode escapes of unreserved chars.

    Escapes of reserved characters stay escaped (with upper-case hex), since
    RFC 3261 19.1.4 makes ``%3B`` and ``;`` different.
    """
    if "%" not in text:
        return text

    def repl(match):
        char = chr(int(match.group(1), 16))
        if char in _RESERVED:
            return "%" + match.group(1).upper()
        return char
    return _ESCAPE_RE.sub(repl, text)


def _as_uri(value):
    """Return *value* as a SipUri (parsing it if it is a str)."""
    return value if isinstance(value, SipUri) else parse_uri(value)


def _param_dict(uri):
    """Lower-cased, escape-normalized {name: value} of the uri-parameters."""
    out = {}
    for name, value in uri.param_list:
        key = _norm_escapes(name).lower()
        if key not in out:
            out[key] = None if value is None else _norm_escapes(value).lower()
    return out


def _header_set(uri):
    """Escape-normalized set of (lower-cased name, value) URI headers."""
    return {(_norm_escapes(n).lower(), _norm_escapes(v))
            for n, v in uri.header_list}


# parameters that must be present in both URIs (RFC 3261 19.1.4; transport
# is added as in the RFC's own examples and its errata)
_MUST_MATCH = ("user", "ttl", "method", "maddr", "transport")


def _host_equal(host_a, host_b):
    """Case-insensitive host comparison; IPv6 references by address."""
    if host_a.lower() == host_b.lower():
        return True
    if host_a[:1] == "[" and host_b[:1] == "[":
        try:
            return (ipaddress.IPv6Address(host_a[1:-1]) ==
                    ipaddress.IPv6Address(host_b[1:-1]))
        except ValueError:
            return False
    return False


def _tel_equal(a, b):
    """RFC 3966 section 4 comparison of two tel URIs."""
    if a.scheme != b.scheme:
        return False
    num_a = _VISUAL_SEP_RE.sub("", unescape(a.user)).lower()
    num_b = _VISUAL_SEP_RE.sub("", unescape(b.user)).lower()
    if num_a != num_b:
        return False
    return _param_dict(a) == _param_dict(b)


def uri_equal(a, b):
    """Compare two URIs (``SipUri`` or text) per RFC 3261 19.1.4.

    * sip and sips URIs never match each other;
    * user and password compare case-sensitively, host case-insensitively;
      an escaped unreserved character equals its plain form;
    * a port, or a user/ttl/method/maddr/transport parameter present in only
      one URI makes them differ; other parameters present in only one URI
      are ignored, common ones must match (case-insensitively);
    * headers must be the same set in both (order does not matter).

    tel URIs compare per RFC 3966 (visual separators ignored, parameters
    unordered).  A text argument that does not parse raises SipParseError.
    """
    a = _as_uri(a)
    b = _as_uri(b)
    if a.scheme != b.scheme:
        return False
    if a.scheme in _TEL_SCHEMES:
        return _tel_equal(a, b)
    if _norm_escapes(a.user) != _norm_escapes(b.user):
        return False
    if _norm_escapes(a.passwd) != _norm_escapes(b.passwd):
        return False
    if not _host_equal(a.host, b.host):
        return False
    if bool(a.port) != bool(b.port) or a.port_no != b.port_no:
        return False
    pa = _param_dict(a)
    pb = _param_dict(b)
    for name in _MUST_MATCH:
        if (name in pa) != (name in pb):
            return False
    for name in pa.keys() & pb.keys():
        if pa[name] != pb[name]:
            return False
    return _header_set(a) == _header_set(b)
