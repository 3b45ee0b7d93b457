"""Helpers shared by the openserctl tests (no tests here).

:func:`run` calls ``openserctl``'s ``main()`` in this process with captured
output; :func:`write_rc` writes an openserctlrc and points ``OPENSERCTLRC``
at it, with ``HOME`` moved to the test's directory and every ``OPENSER_*``
variable and ``NO_COLOR`` removed, so the user's settings never leak in.
"""
import io
import os
from collections import namedtuple

from openser_py.ctl.openserctl import main

Result = namedtuple("Result", "status out err")


def run(*argv):
    """Run ``openserctl argv...``; return Result(status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return Result(status, out.getvalue(), err.getvalue())


def write_rc(tmp_path, monkeypatch, **settings):
    """Write ``tmp_path/openserctlrc`` (NAME='value' lines) and use it."""
    path = tmp_path / "openserctlrc"
    path.write_text("".join("%s='%s'\n" % (k, v.replace("'", "'\\''"))
                            for k, v in settings.items()))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("OPENSERCTLRC", str(path))
    for key in list(os.environ):
        if key.startswith("OPENSER_") or key == "NO_COLOR":
            monkeypatch.delenv(key)
    return path
