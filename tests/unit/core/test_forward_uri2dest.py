"""forward.uri2dest remembers URIs with a numeric target, and only those."""
import pytest

from openser_py.core import forward, resolve
from openser_py.core.dns import message as M
from openser_py.core.ip_addr import PROTO_TCP, PROTO_TLS, PROTO_UDP
from tests.unit.core.test_resolve import make
from tests.unit.core.test_resolve_server import FakeDns, rr

NAME = "changing.test"


@pytest.fixture
def dns():
    zone = {(NAME, M.A): [rr(NAME, M.A, "127.0.0.41", ttl=0)]}
    with FakeDns(zone) as server:
        yield server


@pytest.fixture
def clean():
    forward._LITERAL_DESTS.clear()
    yield
    forward._LITERAL_DESTS.clear()
    resolve.reset()


@pytest.mark.parametrize("uri, dest", [
    ("sip:127.0.0.1:5080", (PROTO_UDP, "127.0.0.1", 5080)),
    ("sip:bob@192.0.2.7;transport=tcp", (PROTO_TCP, "192.0.2.7", 5060)),
    ("sips:bob@192.0.2.7", (PROTO_TLS, "192.0.2.7", 5061)),
    ("sip:bob@[::1]:5070;transport=udp", (PROTO_UDP, "::1", 5070)),
    ("sip:bob@nothere.test;maddr=192.0.2.9", (PROTO_UDP, "192.0.2.9", 5060)),
])
def test_numeric_targets_cached_with_the_resolved_value(clean, uri, dest):
    assert resolve.uri_destinations(uri)[0] == dest
    assert forward.uri2dest(uri) == dest
    assert forward._LITERAL_DESTS == {uri: dest}
    assert forward.uri2dest(uri) == dest           # from the cache


def test_names_are_resolved_every_time(clean, dns):
    resolve.configure(resolver=make(dns))
    uri = "sip:bob@%s:5090" % NAME
    assert forward.uri2dest(uri) == (PROTO_UDP, "127.0.0.41", 5090)
    assert forward.uri2dest("sip:bob@192.0.2.1;maddr=%s" % NAME)[1] == \
        "127.0.0.41"
    assert forward._LITERAL_DESTS == {}
    dns.zone[(NAME, M.A)] = [rr(NAME, M.A, "127.0.0.42", ttl=0)]
    assert forward.uri2dest(uri) == (PROTO_UDP, "127.0.0.42", 5090)


def test_errors_not_cached(clean, dns):
    resolve.configure(resolver=make(dns))
    with pytest.raises(ValueError):
        forward.uri2dest("tel:+123")
    with pytest.raises(ValueError):
        forward.uri2dest("sip:bob@missing.test")
    assert forward._LITERAL_DESTS == {}


def test_bounded(clean, monkeypatch):
    monkeypatch.setattr(forward, "_LITERAL_MAX", 3)
    for port in range(5000, 5010):
        forward.uri2dest("sip:127.0.0.1:%d" % port)
    assert 1 <= len(forward._LITERAL_DESTS) <= 3
