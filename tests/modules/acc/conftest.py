"""acc tests: the stateful-proxy harness of the tm tests plus a capture of
the log records acc writes."""
import os
import re

import pytest

from openser_py.core import dprint
from tests.modules.tm.conftest_proxy import proxy_factory  # noqa: F401

RECORD = re.compile(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \[\d+\] ", re.M)
ACC_MODS = 'loadmodule "acc.so"\n'


class LogCapture:
    """Records written to the log (stderr mode) during the test."""

    def __init__(self, path):
        self.path = path

    def records(self):
        """Every record so far, without the time/pid prefix."""
        with open(self.path, encoding="utf-8") as f:
            return [r.rstrip("\n") for r in RECORD.split(f.read())[1:]]

    def acc(self):
        """Only the ``ACC:`` records."""
        return [r for r in self.records() if r.startswith("ACC: ")]


@pytest.fixture
def acclog(tmp_path):
    """Start capturing (call it after the config is loaded)."""
    path = str(tmp_path / "log")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    s = dprint.state
    saved = (s.fd, s.stderr, s.color, s.debug)

    def start(debug=dprint.L_NOTICE):
        s.fd, s.stderr, s.color, s.debug = fd, True, False, debug
        return LogCapture(path)
    try:
        yield start
    finally:
        s.fd, s.stderr, s.color, s.debug = saved
        os.close(fd)
