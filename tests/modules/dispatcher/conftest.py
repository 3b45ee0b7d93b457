"""Fixtures of the dispatcher tests."""
import pytest

from tests.modules.dispatcher import dsutil
from tests.modules.tm.conftest_proxy import proxy_factory  # noqa: F401


@pytest.fixture
def env():
    """Core state reset around the test; scripts destroyed afterwards."""
    with dsutil.module_env() as scripts:
        yield scripts
