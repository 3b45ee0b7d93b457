"""Shared entry point of the control tools whose command sets are not built yet."""
import sys

from openser_py import version


def make_main(tool, issue):
    """Return a ``main(argv)`` for *tool*: only ``version`` and ``help`` work.

    Any other command prints the usage and exits with status 2 (usage error).
    """
    usage = ("usage: %s <command> [args]\n\n%s (openser_py %s): the command "
             "set arrives with issue %s. Available now: version, help.\n"
             % (tool, tool, version.RELEASE, issue))

    def main(argv=None):
        argv = sys.argv[1:] if argv is None else argv
        if argv and argv[0] in ("version", "-V", "--version"):
            print("%s for %s" % (tool, version.FULL_VERSION))
            return 0
        if argv and argv[0] in ("help", "-h", "--help"):
            print(usage, end="")
            return 0
        sys.stderr.write(usage)
        return 2
    return main
