"""The REGISTER hot path's shortcuts give what the general code gives.

``extract_aor``'s plain-URI fast path against ``parse_uri``; save()
parses only what 1.3's registrar parses (a bad header it does not read
does not fail the REGISTER, a bad Contact or Expires still does); the
sl To-tag suffix against the reference CRC.
"""
import pytest

from openser_py.modules.registrar import rerrno
from openser_py.modules.registrar.rerrno import RegError
from openser_py.modules.registrar.sip_msg import MAX_AOR_LEN, extract_aor
from openser_py.parser import tags
from openser_py.parser.errors import SipParseError
from openser_py.parser.msg import parse_msg
from openser_py.parser.parse_uri import parse_uri
from tests.modules.registrar.reg_util import load, register, reply_of, run


def _reference_aor(text, use_domain, case_sensitive=0, realm_prefix=""):
    """extract_aor through parse_uri only (the general path)."""
    try:
        uri = parse_uri(text)
    except SipParseError:
        return ("error", rerrno.R_AOR_PARSE)
    if not uri.user:
        return ("error", rerrno.R_TO_USER)
    user = uri.unescaped_user
    host = uri.host
    if realm_prefix and host.startswith(realm_prefix) and \
            len(host) > len(realm_prefix):
        host = host[len(realm_prefix):]
    aor = "%s@%s" % (user, host) if use_domain else user
    if len(aor) >= MAX_AOR_LEN:
        return ("error", rerrno.R_AOR_LEN)
    return aor if case_sensitive else aor.lower()


def _aor(text, *args):
    try:
        return extract_aor(text, *args)
    except RegError as err:
        return ("error", err.rerrno)


@pytest.mark.parametrize("uri", [
    "sip:Alice@Example.COM", "SIP:bob@10.0.0.1:5060;transport=udp",
    "sips:carol@pre.example.com?subject=x", "sip:u@999.1.1.1",
    "sip:u@10.0.0.", "sip:u@1.2.3", "sip:u@host:99999", "sip:u@host1",
    "sip:a%41b@h", "sip:a;x=1@h", "sip:@h", "sip:h", "sip:u:pw@h",
    "tel:+123", "sip:u@[2001:db8::1]", "sip:u@h;lr", "sip:u@-h",
    "sip:u@h<", "sip:u@h x", "sip:%s@h" % ("a" * 300), "sip:u@_h.example",
])
@pytest.mark.parametrize("use_domain,case_sensitive,prefix", [
    (0, 0, ""), (1, 0, ""), (1, 1, "pre."), (1, 0, "pre.")])
def test_extract_aor_fast_path_matches_parse_uri(uri, use_domain,
                                                 case_sensitive, prefix):
    assert _aor(uri, use_domain, case_sensitive, prefix) == \
        _reference_aor(uri, use_domain, case_sensitive, prefix)


def test_register_ignores_bad_headers_registrar_does_not_read():
    # 1.3's parse_message parses Via/To/Call-ID/CSeq/Expires/Contact only
    data = register(extra="Route: <garbage\r\nSupported: bad tag, ,")
    _, sent, _ = run(load(), data)
    assert reply_of(sent)[0] == 200


@pytest.mark.parametrize("old,new,text", [
    (b"Contact: <sip:alice@192.0.2.10:5060>\r\n",
     b"Contact: <sip:alice@192.0.2.10:5060\r\n", "Message parse error"),
    (b"Contact: <sip:alice@192.0.2.10:5060>\r\n",
     b"Contact: <sip:alice@192.0.2.10:5060>;expires=x\r\n",
     "Invalid expires param in contact"),
    (b"Expires: 60\r\n", b"Expires: 6x0\r\n", "Expires parse error"),
])
def test_bad_contact_or_expires_still_400(old, new, text):
    data = register(expires=60)
    assert old in data
    _, sent, _ = run(load(), data.replace(old, new))
    code, hdrs, _ = reply_of(sent)
    assert code == 400 and hdrs["p-registrar-error"] == [text]


@pytest.mark.parametrize("via", [
    "192.0.2.1;branch=z9hG4bKabc", "h.example:5070;branch=z9hG4bK1;rport",
    "[2001:db8::1];branch=z9hG4bKx", "10.0.0.1", "h;received=1.2.3.4",
])
def test_sl_tag_suffix_matches_reference_crc(via):
    m = parse_msg(("OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP %s\r\n"
                   "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n"
                   "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
                   % via).encode())
    v = m.via1
    assert tags.calc_crc_suffix(m, "p.") == "p." + tags.crcitt_string_array(
        (v.host, v.port_str, v.branch))
