"""``openserunix``: OpenSER 1.3's tool of the same name.

Only ``version`` and ``help`` work yet; the command set arrives with the
tools issue (#7; openserdbctl with #6).  Other commands exit with status 2.
"""
import sys

from openser_py import version

USAGE = """usage: openserunix <command> [args]

openserunix (openser_py %s): the command set is not implemented yet
(see the project's issue tracker). Available: version, help.
""" % version.RELEASE


def main(argv=None):
    """Entry point of the ``openserunix`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("version", "-V", "--version"):
        print("openserunix for %s" % version.FULL_VERSION)
        return 0
    if argv and argv[0] in ("help", "-h", "--help"):
        print(USAGE, end="")
        return 0
    sys.stderr.write(USAGE)
    return 2


if __name__ == "__main__":
    sys.exit(main())
