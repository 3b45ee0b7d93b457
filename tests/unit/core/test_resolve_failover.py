"""openser_py.core.dns.failover.is_3263_failure (1.3's rules, pure).

The tm hooks themselves are exercised end to end in
tests/integration/test_dns_forwarding.py.
"""
import pytest

from openser_py.core.dns.failover import is_3263_failure

R503 = (b"SIP/2.0 503 Service Unavailable\r\nVia: x\r\n"
        b"retry-after : 30\r\nContent-Length: 0\r\n\r\n")
R503_NO_RA = (b"SIP/2.0 503 Service Unavailable\r\nVia: x\r\n"
              b"Content-Length: 12\r\n\r\nRetry-After:")


@pytest.mark.parametrize("code,faked,prov,reply,want", [
    (408, True, False, b"", True),          # tm's timeout, branch silent
    (408, True, True, b"", False),          # a 180 was relayed: it rang
    (408, False, False, b"SIP/2.0 408 x\r\n\r\n", False),   # a real 408
    (503, False, False, R503, True),        # Retry-After, any case
    (503, False, False, R503_NO_RA, False),  # only in the body
    (503, True, False, b"", False),         # never faked
    (500, False, False, b"SIP/2.0 500 x\r\nRetry-After: 1\r\n\r\n", False),
    (486, False, False, b"", False),
])
def test_is_3263_failure(code, faked, prov, reply, want):
    assert is_3263_failure(code, faked, prov, reply) is want
