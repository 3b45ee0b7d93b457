"""The ``proxy_factory`` fixture shared by the stateful-proxy tests."""
import pytest

from tests.modules.tm.proxy_util import Proxy


@pytest.fixture
def proxy_factory():
    """Build :class:`Proxy` objects; closed after the test."""
    made = []

    def make(routes='route { t_relay(); }\n', params=""):
        p = Proxy(routes, params)
        made.append(p)
        return p
    yield make
    for p in made:
        p.close()
