"""uri: checks and changes of the Request-URI and friends (1.3 ``checks.c``).

"The R-URI" is always the current one: ``msg.new_uri`` when the script
rewrote it, else the received one.  Details kept from 1.3:

* ``uri_param("p")`` is true only for a parameter *without* a value;
  parameter names and values compare case-sensitively (1.3 uses
  ``strncmp``); the first parameter with that name decides;
* ``is_user`` needs credentials accepted by ``www_authorize`` /
  ``proxy_authorize`` (the auth module stores them in
  ``msg.ctx[AUTHORIZED_CRED_KEY]``) and compares the user part of the
  digest username exactly;
* ``tel2sip`` builds ``sip:<number and tel params>@<From host>;user=phone``.
"""
from openser_py.core import dset
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.exports import FixupError
from openser_py.core.pv_msg import AUTHORIZED_CRED_KEY
from openser_py.core.pvar import PvError, parse_pv_spec
from openser_py.parser.errors import SipParseError
from openser_py.parser.limits import MAX_URI
from openser_py.parser.parse_uri import SipUri, parse_uri


# -- fixups -------------------------------------------------------------------

def fixup_pv(value, param_no):
    """A pseudo-variable holding a URI."""
    try:
        return parse_pv_spec(value)
    except PvError as exc:
        raise FixupError(str(exc)) from None


def _ruri(msg):
    """The current R-URI parsed (the message's cached copy when it was not
    rewritten: do not modify it), or None (logged) if it is malformed."""
    try:
        if msg.new_uri is None:
            return msg.parsed_ruri
        return parse_uri(msg.new_uri)
    except SipParseError as exc:
        LM_ERR("failed to parse the R-URI: %s", exc.reason)
        return None


# -- checks -------------------------------------------------------------------

def w_is_user(msg, user):
    """``is_user(name)``: user part of the authorized digest username."""
    cred = msg.ctx.get(AUTHORIZED_CRED_KEY)
    if cred is None:
        LM_ERR("no authorized credentials found (call www_authorize or "
               "proxy_authorize before is_user)")
        return -1
    if not cred.user:
        LM_DBG("username not found in credentials")
        return -1
    return 1 if cred.user == user else -1


def w_has_totag(msg):
    """``has_totag()``: the To header has a non-empty tag."""
    try:
        to = msg.to
    except SipParseError as exc:
        LM_ERR("cannot parse the To header: %s", exc.reason)
        return -1
    if to is None:
        LM_ERR("no To header")
        return -1
    return 1 if to.tag else -1


def w_uri_param(msg, name, value=None):
    """``uri_param(p)`` (present without value) / ``uri_param(p, v)``."""
    uri = _ruri(msg)
    if uri is None:
        return -1
    for pname, pvalue in uri.param_list:
        if pname != name:
            continue
        if value is None:
            return -1 if pvalue else 1
        return 1 if pvalue == value else -1
    return -1


def e164_check(user):
    """``+`` followed by 2 to 15 digits (1.3 ``e164_check``)."""
    return 1 if (2 < len(user) < 17 and user[0] == "+"
                 and user[1:].isdigit() and user.isascii()) else -1


def w_is_uri_user_e164(msg, spec):
    """``is_uri_user_e164(pv)``: the user of the URI in the PV is E.164."""
    value = spec.get(msg)
    if value is None:
        LM_ERR("failed to get pseudo variable value")
        return -1
    if not isinstance(value, str):
        LM_ERR("pseudo variable value is not string")
        return -1
    if not value:
        LM_DBG("missing uri")
        return -1
    try:
        uri = parse_uri(value)
    except SipParseError as exc:
        LM_ERR("parsing URI failed: %s", exc.reason)
        return -1
    return e164_check(uri.user)


# -- changes ------------------------------------------------------------------

def w_add_uri_param(msg, param):
    """``add_uri_param("p=v")``: append ``;p=v`` to the R-URI params."""
    if not param:
        return 1
    cur = dset.get_request_uri(msg)
    uri = _ruri(msg)
    if uri is None:
        return -1
    if not uri.headers:
        new = cur + ";" + param
    else:
        params = uri.params + ";" + param if uri.params else param
        new = str(SipUri(uri.scheme, uri.user, uri.passwd, uri.host,
                         uri.port, params, uri.headers))
    if len(new) > MAX_URI:
        LM_ERR("new ruri too long")
        return -1
    msg.new_uri = new
    return 1


def w_tel2sip(msg):
    """``tel2sip()``: a ``tel:`` R-URI becomes a SIP URI at the From host.

    True when converted and when the R-URI is not a tel URI.
    """
    cur = dset.get_request_uri(msg)
    if len(cur) < 4 or cur[:4].lower() != "tel:":
        return 1
    try:
        frm = msg.from_
        if frm is None:
            LM_ERR("no From header")
            return -1
        host = frm.parsed_uri().host
    except SipParseError as exc:
        LM_ERR("failed to parse the From URI: %s", exc.reason)
        return -1
    msg.new_uri = "sip:%s@%s;user=phone" % (cur[4:], host)
    return 1
