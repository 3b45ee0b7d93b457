"""setuptools entry point.

Metadata lives in setup.cfg.  The build step generates what OpenSER's ``make``
would: the build-config module from Makefile.defs defaults (when ``make`` has
not already written it) and the PLY tables of the openser.cfg grammar, so
nothing is generated at run time.
"""
import os
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def _generate(target_dir):
    """Write _build_config.py (if absent) and the PLY tables into target_dir."""
    pkg = os.path.join(target_dir, "openser_py")
    cfg = os.path.join(pkg, "_build_config.py")
    # keep the build environment's path (pip's isolated env, where PLY
    # is: see pyproject.toml) behind the source tree
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (HERE, os.environ.get("PYTHONPATH")) if p))
    # an editable install builds into an empty temporary tree
    os.makedirs(os.path.join(pkg, "cfg"), exist_ok=True)
    if not os.path.exists(cfg):
        subprocess.check_call([sys.executable, "-m",
                               "openser_py.tools.gen_build_config", "-o", cfg],
                              env=env)
    if os.path.exists(os.path.join(HERE, "openser_py", "cfg", "build_tables.py")):
        subprocess.check_call([sys.executable, "-B", "-m",
                               "openser_py.cfg.build_tables",
                               "--outputdir", os.path.join(pkg, "cfg")], env=env)


class BuildPy(build_py):
    """build_py that also generates the build config and parser tables."""

    def run(self):
        super().run()
        if not self.dry_run:
            _generate(self.build_lib)


# The optional C header index of the SIP parser (openser_py/parser/index.py
# falls back to its Python twin when this could not be built).
SPEEDUPS = Extension("openser_py.parser._speedups",
                     ["openser_py/parser/_speedups.c"], optional=True)

setup(cmdclass={"build_py": BuildPy},
      ext_modules=([] if os.environ.get("OPENSER_PY_PURE") else [SPEEDUPS]))
