"""``make install``: launchers into SBIN_DIR, sample configs into CFG_DIR.

The package itself is installed with pip first; this step writes one small
launcher per tool bound to the interpreter that has the package, and copies
the samples as OpenSER's ``make install`` does: ``X.sample`` is always
refreshed, ``X`` is written only when absent (an operator's edited config is
never overwritten).
"""
import argparse
import os
import shutil
import sys

TOOLS = {
    "openser": "openser_py.main",
    "openserctl": "openser_py.ctl.openserctl",
    "openserdbctl": "openser_py.ctl.openserdbctl",
    "openserunix": "openser_py.ctl.openserunix",
}
SAMPLES = ("openser.cfg", "openser-mysql.cfg", "openser-postgres.cfg",
           "openserctlrc", "dictionary.radius")

LAUNCHER = '''#!{python}
"""{tool}: installed by openser_py's make install."""
import sys

from {module} import main

sys.exit(main())
'''


def install_launchers(sbin_dir, python=sys.executable):
    """Write the four tool launchers into *sbin_dir*; return their paths."""
    os.makedirs(sbin_dir, exist_ok=True)
    paths = []
    for tool, module in TOOLS.items():
        path = os.path.join(sbin_dir, tool)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(LAUNCHER.format(python=python, tool=tool, module=module))
        os.chmod(path, 0o755)
        paths.append(path)
    return paths


def install_samples(src_dir, cfg_dir):
    """Copy the sample files; return the list of files written."""
    os.makedirs(cfg_dir, exist_ok=True)
    written = []
    for name in SAMPLES:
        src = os.path.join(src_dir, name)
        if not os.path.exists(src):
            continue
        sample = os.path.join(cfg_dir, name + ".sample")
        shutil.copyfile(src, sample)
        written.append(sample)
        target = os.path.join(cfg_dir, name)
        if not os.path.exists(target):
            shutil.copyfile(src, target)
            written.append(target)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sbin", required=True)
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--src", default=os.path.join("etc", "openser"))
    args = ap.parse_args(argv)
    for path in install_launchers(args.sbin) + install_samples(args.src, args.cfg):
        print("installed %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
