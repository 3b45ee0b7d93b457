"""``openserunix``: send one MI request to mi_datagram and print the reply.

OpenSER 1.3's tool (reference §9.3)::

    openserunix <path_to_socket>  < request      # request read from stdin
    openserunix <socket> <command> [arg ...]     # request built from args

The first form sends stdin (at most 65536 bytes) as one datagram, as 1.3
does.  The second builds ``:<command>:`` plus one argument line per value
(quoted where needed).  ``<socket>`` may also be ``udp:host:port``.  The
reply datagram is printed as received.

Exit status: 0 for a 2xx reply, 1 for any other reply (and for the usage
line), 3 when the socket cannot be reached or does not answer in time.
``openserunix version`` / ``help`` print the version / this usage.
"""
import os
import sys

from openser_py import version
from openser_py.ctl.mi_client import DEFAULT_TIMEOUT, MiClientError
from openser_py.ctl.mi_client.datagram import datagram_request
from openser_py.mi import fmt

MAX_INPUT = 65536
EXIT_OK, EXIT_ERROR, EXIT_UNREACHABLE = 0, 1, 3

USAGE = ("Usage: %s <path_to_socket>\n"
         "       %s <path_to_socket> <command> [arg ...]\n")


def _usage(prog):
    return USAGE % (prog, prog)


def reply_status(text):
    """The numeric code of a reply text, or None."""
    head = text.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def main(argv=None, stdin=None, stdout=None, stderr=None):
    """Entry point; returns the exit status."""
    argv = sys.argv if argv is None else argv
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    prog = os.path.basename(argv[0]) if argv else "openserunix"
    args = argv[1:]
    if len(args) == 1 and not os.path.exists(args[0]):
        if args[0] in ("version", "-V", "--version"):
            stdout.write("openserunix for %s\n" % version.FULL_VERSION)
            return EXIT_OK
        if args[0] in ("help", "-h", "--help"):
            stdout.write(_usage(prog))
            return EXIT_OK
    if not args:
        stderr.write(_usage(prog))
        return EXIT_ERROR
    target = args[0]
    if len(args) == 1:
        request = stdin.read(MAX_INPUT)
    else:
        try:
            request = fmt.build_request(args[1], args[2:])
        except ValueError as exc:
            stderr.write("%s: %s\n" % (prog, exc))
            return EXIT_ERROR
    try:
        timeout = float(os.environ.get("OPENSERUNIX_TIMEOUT") or DEFAULT_TIMEOUT)
    except ValueError:
        timeout = DEFAULT_TIMEOUT
    try:
        reply = datagram_request(target, request, timeout)
    except MiClientError as exc:
        stderr.write("%s: %s\n" % (prog, exc))
        return EXIT_UNREACHABLE
    stdout.write(reply)
    stdout.flush()
    code = reply_status(reply)
    return EXIT_OK if code is not None and 200 <= code < 300 else EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
