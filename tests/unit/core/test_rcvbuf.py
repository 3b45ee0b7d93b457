"""The UDP receive buffer asked with -b and what the kernel grants."""
import sys

import pytest

from openser_py.core.arbiter import bind_socket, rcvbuf_granted
from openser_py.core.ip_addr import PROTO_UDP, SocketInfo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="Linux reports twice the granted size")


def rmem_max():
    with open("/proc/sys/net/core/rmem_max") as fh:
        return int(fh.read())


@pytest.fixture
def udp():
    s = SocketInfo(PROTO_UDP, "127.0.0.1", 0)
    yield s
    if s.sock is not None:
        s.sock.close()


def test_within_the_kernel_limit_is_granted(udp):
    ask = min(rmem_max(), 131072)
    bind_socket(udp, ask)
    assert rcvbuf_granted(udp.sock, ask) == (2 * ask, False)


def test_above_rmem_max_is_capped_and_reported(udp):
    ask = 2 * rmem_max()
    bind_socket(udp, ask)
    kept, capped = rcvbuf_granted(udp.sock, ask)
    assert capped and kept == 2 * rmem_max()
