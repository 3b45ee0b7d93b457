"""The hash functions of ``ds_select_dst`` (OpenSER ``dispatch.c``).

``ds_get_hash(x, y)`` is 1.3's ``ds_get_hash``: the ``core_hash`` word sum
over one or two strings, reduced with ``h + (h>>11) + (h>>13) + (h>>23)``,
never 0.  Bytes are C ``char`` (signed), as on the x86 builds.  The
algorithms hash the Call-ID (0), the From URI (1), the To URI (2), the
R-URI (3) or the authorization username (5); URIs contribute ``user`` and
``host[:port]`` (the port only when it is not the default one), or only
``user`` with ``flags`` bit 1 (``DS_HASH_USER_ONLY``).
"""
from openser_py.core import dset
from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.core.hash_func import hash_reduce, hash_sum
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_uri import parse_uri

DS_HASH_USER_ONLY = 1
DS_FAILOVER_ON = 2

def ds_get_hash(x, y=None):
    """1.3's ``ds_get_hash`` over *x* and optional *y* (str); never 0."""
    if x is None and y is None:
        return 0
    h = 0
    if x is not None:
        h += hash_sum(x)
    if y is not None:
        h += hash_sum(y)
    return hash_reduce(h) or 1


def uri_hash_keys(uri_text, flags):
    """``(user, host[:port])`` of a URI as 1.3 hashes it; raises
    SipParseError / ValueError for a URI without host."""
    uri = parse_uri(uri_text.strip())
    if not uri.host:
        raise ValueError("invalid uri, no host present: %s" % uri_text)
    key2 = ""
    if not flags & DS_HASH_USER_ONLY:
        key2 = uri.host
        if uri.port and uri.port_no != (5061 if uri.scheme == "sips"
                                        else 5060):
            key2 += ":" + uri.port
    if not uri.user:
        LM_WARN("empty username in: %s", uri_text)
    return uri.user, key2


def _uri_hash(text, flags, what):
    try:
        return ds_get_hash(*uri_hash_keys(text, flags))
    except (SipParseError, ValueError) as exc:
        LM_ERR("can't get %s hash: %s", what, exc)
        return None


def hash_callid(msg, flags):
    """Algorithm 0; None on error."""
    cid = msg.callid
    if cid is None:
        LM_ERR("cannot parse Call-Id")
        return None
    return ds_get_hash(cid.strip())


def hash_fromuri(msg, flags):
    """Algorithm 1; None on error."""
    frm = msg.from_
    if frm is None:
        LM_ERR("cannot get From uri")
        return None
    return _uri_hash(frm.uri, flags, "From uri")


def hash_touri(msg, flags):
    """Algorithm 2; None on error."""
    to = msg.to
    if to is None:
        LM_ERR("cannot parse To hdr")
        return None
    return _uri_hash(to.uri, flags, "To uri")


def hash_ruri(msg, flags):
    """Algorithm 3 (the current R-URI); None on error."""
    return _uri_hash(dset.get_request_uri(msg), flags, "ruri")


def hash_authusername(msg, flags):
    """Algorithm 5: ``(hash, True)``; ``(0, False)`` when there are no
    credentials (the caller falls back to round-robin); None on error."""
    try:
        creds = msg.proxy_authorization or msg.authorization
    except SipParseError as exc:
        LM_ERR("error parsing headers: %s", exc)
        return None
    if not creds:
        LM_DBG("No Authorization-Header!")
        return 0, False
    user = creds[0].user
    if not user:
        LM_ERR("No Authorization-Username or Credentials!")
        return 0, False
    return ds_get_hash(user.strip()), True
