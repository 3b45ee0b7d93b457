"""registrar's pure rules: expiry (RFC 3261 10.3 step 7), q, AOR."""
import pytest

from openser_py.modules.registrar import rerrno
from openser_py.modules.registrar.rerrno import RegError
from openser_py.modules.registrar.sip_msg import (calc_expires, calc_q,
                                                  extract_aor)

NOW = 5000


@pytest.mark.parametrize("param,hdr,expected", [
    (None, None, NOW + 3600),      # default_expires
    (None, 300, NOW + 300),        # Expires header
    (120, 300, NOW + 120),         # contact param wins
    (0, 300, 0),                   # param 0 removes
    (None, 0, 0),                  # header 0 removes
    (10, None, NOW + 60),          # raised to min_expires
    (99999, None, NOW + 7200),     # capped at max_expires
])
def test_calc_expires(param, hdr, expected):
    assert calc_expires(param, hdr, NOW, 3600, 60, 7200) == expected


def test_calc_expires_bounds_disabled_by_zero():
    assert calc_expires(1, None, NOW, 3600, 0, 0) == NOW + 1
    assert calc_expires(10 ** 6, None, NOW, 3600, 0, 0) == NOW + 10 ** 6


def test_calc_q():
    assert calc_q(None, -1) == -1
    assert calc_q(None, 300) == 300
    assert calc_q(0, 300) == 0
    assert calc_q(1000, -1) == 1000


def test_extract_aor_forms():
    assert extract_aor("sip:Alice@Example.COM", 0) == "alice"
    assert extract_aor("sip:Alice@Example.COM", 1) == "alice@example.com"
    assert extract_aor("sip:Alice@Example.COM", 1, case_sensitive=1) == \
        "Alice@Example.COM"
    assert extract_aor("sip:a%40b@h", 0) == "a@b"
    assert extract_aor("sip:bob@pre.example.com", 1,
                       realm_prefix="pre.") == "bob@example.com"


@pytest.mark.parametrize("uri,err", [
    ("sip:example.com", rerrno.R_TO_USER),
    ("nonsense", rerrno.R_AOR_PARSE),
    ("sip:%s@h" % ("a" * 300), rerrno.R_AOR_LEN),
])
def test_extract_aor_errors(uri, err):
    with pytest.raises(RegError) as ei:
        extract_aor(uri, 0)
    assert ei.value.rerrno == err
