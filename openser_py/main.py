"""``openser``: the server's command line (OpenSER 1.3 ``main.c``).

Options are OpenSER's (reference §13.1); ``-DD`` is Kamailio's "stay in the
foreground but fork the workers".  As in 1.3, options are read before the
config, so a config assignment overrides the matching option.

Besides running the server: ``-V``, ``-h``, ``-c`` (check the config and
print every error with file:line:col), ``--parse-msg FILE`` (what the parser
makes of a message) and ``--trace-msg FILE`` (run one message through the
routing script without network, printing every statement).
"""
import argparse
import os
import sys

from openser_py import buildcfg, version
from openser_py.core import dprint


def build_arg_parser():
    """Return the argparse parser for OpenSER's command line."""
    ap = argparse.ArgumentParser(
        prog="openser", add_help=False,
        description="openser_py %s -- OpenSER 1.3 in Python" % version.RELEASE)
    add = ap.add_argument
    add("-f", dest="cfg_file", metavar="file",
        help="configuration file (default: etc/openser/openser.cfg)")
    add("-c", dest="check", action="store_true",
        help="check configuration file for errors and exit")
    add("-C", dest="check_full", action="store_true",
        help="like -c, plus function/route-type compatibility (same checks)")
    add("-l", dest="listen", action="append", metavar="address",
        help="listen on [proto:]addr[:port] (repeatable)")
    add("-n", dest="children", type=int, metavar="processes",
        help="number of child processes per UDP interface (default 8)")
    add("-N", dest="tcp_children", type=int, metavar="processes",
        help="number of TCP child processes (default = -n)")
    add("-r", dest="dns", action="store_true",
        help="use DNS to check if a Via needs received=")
    add("-R", dest="rev_dns", action="store_true",
        help="same as -r but with reverse DNS")
    add("-v", dest="check_via", action="store_true",
        help="turn on via host checking when forwarding replies")
    add("-d", dest="debug", action="count", default=0,
        help="debugging mode (repeat to increase the level)")
    add("-D", dest="no_fork", action="count", default=0,
        help="-D: do not fork (fork=no); -DD: stay in the foreground, fork "
             "the workers")
    add("-E", dest="log_stderror", action="store_true", help="log to stderr")
    add("-T", dest="disable_tcp", action="store_true", help="disable TCP")
    add("-W", dest="tcp_poll_method", metavar="method", help="TCP poll method")
    add("-V", dest="show_version", action="store_true",
        help="version number, build flags, and exit")
    add("-h", "--help", action="help", help="this help message")
    add("-b", dest="maxbuffer", type=int, metavar="nr",
        help="maximum receive buffer size probed")
    add("-m", dest="shm_mb", type=int, metavar="nr",
        help="size of shared memory in MB (default 32)")
    add("-M", dest="pkg_mb", type=int, metavar="nr",
        help="size of private (pkg) memory per process in MB")
    add("-w", dest="workdir", metavar="dir", help="change the working directory")
    add("-t", dest="chroot", metavar="dir", help="chroot to dir")
    add("-u", dest="user", metavar="uid", help="change uid")
    add("-g", dest="group", metavar="gid", help="change gid")
    add("-P", dest="pid_file", metavar="file", help="create a pid file")
    add("-G", dest="pgid_file", metavar="file", help="create a pgid file")
    add("--parse-msg", dest="parse_msg", metavar="MSGFILE",
        help="parse a SIP message from a file and print what the parser sees")
    add("--trace-msg", dest="trace_msg", metavar="MSGFILE",
        help="run one SIP message from a file through the routing script "
             "(no network): print every statement, condition and the result")
    add("--trace-src", dest="trace_src", metavar="IP:PORT",
        default="192.0.2.10:5060", help="source address for --trace-msg")
    add("--trace-proto", dest="trace_proto", default="udp",
        choices=("udp", "tcp", "tls"), help="transport for --trace-msg")
    return ap


def show_version(out=sys.stdout):
    """Print what ``openser -V`` prints."""
    flags = ["STATS: On", "USE_IPV6", "USE_TCP", "SHM_MEM", "SHM_MMAP",
             "PKG_MALLOC"]
    if version.USE_TLS:
        flags.insert(3, "USE_TLS")
    if buildcfg.DBG_QM_MALLOC:
        flags.append("DBG_QM_MALLOC")
    elif buildcfg.DBG_F_MALLOC:
        flags.append("DBG_F_MALLOC")
    else:
        flags.append("F_MALLOC")
    if buildcfg.NO_DEBUG:
        flags.append("NO_DEBUG")
    out.write("version: %s\n" % version.FULL_VERSION)
    out.write("flags: %s\n" % ", ".join(flags))
    out.write("MAX_RECV_BUFFER_SIZE 262144, MAX_LISTEN 16, MAX_URI_SIZE 1024, "
              "BUF_SIZE 65535\n")
    out.write("poll method support: poll, epoll_lt, select.\n")
    out.write("implementation: %s\n" % version.PY_IMPL)
    from openser_py.parser.index import IMPLEMENTATION
    out.write("parser header index: %s\n" % IMPLEMENTATION)


def cmd_parse_msg(path, out=sys.stdout):
    """Parse the SIP message in *path*; print the result; return the exit code."""
    from openser_py.parser import SipParseError, parse_msg
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        msg = parse_msg(data)
        msg.parse_all()
    except SipParseError as exc:
        out.write("rejected: %d %s (%s)\n" % (exc.status, exc.reply_reason,
                                               exc.reason))
        return 1
    if msg.is_request:
        out.write("request: %s %s %s\n" % (msg.method, msg.ruri, msg.version))
    else:
        out.write("reply: %s %d %s\n" % (msg.version, msg.status, msg.reason))
    for hf in msg.headers:
        out.write("  %-20s %s\n" % (hf.name + ":", hf.body))
    out.write("body: %d bytes\n" % len(msg.body))
    return 0


def cli_params(args):
    """Command-line options as core parameter values (config overrides them)."""
    from openser_py.core.coreparams import SocketId
    from openser_py.core.forward import parse_hostport
    out = {}
    if args.listen:
        socks = []
        for spec in args.listen:
            proto, host, port = parse_hostport(spec)
            socks.append(SocketId(proto, host.strip("[]"), port or None))
        out["listen"] = socks
    for name, value in (("children", args.children),
                        ("tcp_children", args.tcp_children),
                        ("maxbuffer", args.maxbuffer),
                        ("workdir", args.workdir), ("user", args.user),
                        ("group", args.group), ("chroot", args.chroot)):
        if value is not None:
            out[name] = value
    for name, flag in (("dns", args.dns), ("rev_dns", args.rev_dns),
                       ("check_via", args.check_via),
                       ("disable_tcp", args.disable_tcp),
                       ("log_stderror", args.log_stderror)):
        if flag:
            out[name] = True
    if args.no_fork == 1:
        out["fork"] = False
    if args.debug:
        out["debug"] = dprint.L_NOTICE + args.debug
    return out


def start_server(args, cfg_file):
    """Load the config and run the server; return the exit status."""
    from openser_py import mem
    from openser_py.core import arbiter, cfgload, daemonize
    mem.shm_init((args.shm_mb or 32) * 1024 * 1024)
    mem.pkg_init((args.pkg_mb or 1) * 1024 * 1024)
    script = cfgload.load_config(cfg_file, cli_params=cli_params(args))
    if script.errors:
        sys.stderr.write(script.format_errors() + "\n")
        sys.stderr.write("%s: %d error(s) found, not starting\n"
                         % (cfg_file, len(script.errors)))
        return 1
    p = script.params
    fork = bool(p.get("fork", True))          # -D, unless the cfg says fork=
    foreground = args.no_fork >= 2 or not fork
    try:
        uid, gid = daemonize.resolve_user_group(p.get("user"), p.get("group"))
    except daemonize.DaemonError as exc:
        sys.stderr.write("openser: %s\n" % exc)
        return 1
    dprint.configure(debug=p.get("debug"), log_stderror=p.get("log_stderror"),
                     log_facility=p.get("log_facility"),
                     log_name=p.get("log_name") or "openser",
                     log_format=p.get("log_format"))
    dprint.LM_NOTICE("version: %s", version.FULL_VERSION)
    if not foreground:
        daemonize.daemonize(p.get("workdir") or "/")
    elif args.workdir:
        os.chdir(args.workdir)
    server = arbiter.Server(script, fork=fork, pid_file=args.pid_file,
                            pgid_file=args.pgid_file, uid=uid, gid=gid)
    try:
        server.start()
    except (arbiter.StartupError, daemonize.DaemonError, OSError) as exc:
        arbiter.log_startup_failure(str(exc))
        server.cleanup()
        return 1
    if not foreground:
        daemonize.report_ok()
        daemonize.redirect_stdio()
    if not fork:
        return arbiter.run_single(server)
    return server.run()


def main(argv=None):
    """Entry point of the ``openser`` console script."""
    if sys.flags.optimize >= 2:
        sys.stderr.write("openser: refusing to run under -OO: the config "
                         "grammar (PLY) needs docstrings\n")
        return 1
    args = build_arg_parser().parse_args(argv)
    if args.show_version:
        show_version()
        return 0
    if args.debug:
        dprint.set_debug(dprint.L_NOTICE + args.debug)
    if args.parse_msg:
        return cmd_parse_msg(args.parse_msg)
    cfg_file = args.cfg_file or os.path.join("etc", "openser", "openser.cfg")
    if args.trace_msg:
        from openser_py.core import trace
        return trace.run_trace(cfg_file, args.trace_msg, args.trace_src,
                               args.trace_proto)
    if args.check or args.check_full:
        from openser_py.core import cfgload
        return cfgload.check_file(cfg_file)
    return start_server(args, cfg_file)


if __name__ == "__main__":
    sys.exit(main())
