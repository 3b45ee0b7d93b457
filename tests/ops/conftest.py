"""Fixtures for the operability tests: the integration ``openser`` fixture
plus helpers to reach the MI FIFO and the metrics endpoint."""
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import free_port
from tests.integration.conftest import openser  # noqa: F401 - fixture


def mi_extra(tmp_path, more=""):
    """Config lines loading mi_fifo with its FIFO in *tmp_path*."""
    return ('loadmodule "mi_fifo.so"\n'
            'modparam("mi_fifo", "fifo_name", "%s/fifo")\n'
            'modparam("mi_fifo", "reply_dir", "%s/")\n%s'
            % (tmp_path, tmp_path, more))


def wait_for(cond, timeout=10.0, step=0.05):
    """Poll *cond* until true (returns its value) or *timeout* (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(step)
    return None


def http_get(port, path, timeout=10.0):
    """``(status, content-type, body)`` of GET http://127.0.0.1:port/path."""
    url = "http://127.0.0.1:%d%s" % (port, path)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return (resp.status, resp.headers.get("Content-Type"),
                    resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type"), \
            exc.read().decode("utf-8")


@pytest.fixture
def http_port():
    """A free TCP port on 127.0.0.1."""
    return free_port()
