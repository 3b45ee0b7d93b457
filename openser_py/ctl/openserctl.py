"""``openserctl``: OpenSER 1.3's control tool (reference section 10.1).

Settings come from the openserctlrc files (:mod:`openser_py.ctl.rc`), then
``OPENSER_<NAME>`` environment variables, then ``-o NAME=value`` options
(later wins).  Commands live in :mod:`openser_py.ctl.commands`; see
doc/openserctl.md.
"""
import argparse
import json
import os
import sys

from openser_py import version
from openser_py.core import dprint
from openser_py.ctl import rc as rcmod
from openser_py.ctl.commands import register_all
from openser_py.ctl.commands import reload as reload_cmd
from openser_py.ctl.commands.base import (DEFAULTS, ENV_PREFIX, EXIT_ERROR,
                                          EXIT_OK, EXIT_USAGE, Context,
                                          CtlError, UsageError)

USAGE = """usage: openserctl [options] <command> [args]

subscribers (database):
  add <user[@domain]> <password> [<email>]   add a subscriber (ha1, ha1b)
  passwd <user[@domain]> <password>          change the password
  rm <user[@domain]>                         delete (also ACLs, aliases, usrloc)
  rpid show [<user>] | add <user> <rpid> | rm <user>
  alias_db show <alias> | list [<sip-id>] | add <alias> <sip-id> | rm <alias>
  acl show [<user>] | grant <user> <group> | revoke <user> [<group>]
  avp list|rm [-T table] [-u <sip-id|uuid>] [-a attr] [-v value] [-t type]
  avp add [-T table] <sip-id|uuid> <attribute> <type> <value>
  domain show | showdb | add <domain> | rm <domain> | reload
  dispatcher show | dump | reload | addgw <setid> <uri> [<desc>] | rmgw <id>
  trusted show | dump | reload | add <src_ip> <proto> [<from_pattern>] [<tag>]
          | rm <src_ip>
  address show | dump | reload | add <grp> <ip> [<mask>] [<port>]
          | rm <grp> <ip>
  showdb [<user>]                            registrations in the location table

server (MI):
  ul show [<aor>] | show --brief | rm <aor> [<contact>]
     | add <aor> <contact> [<expires>]       user location (0 = permanent)
  alias show [<alias>] | add <alias> <uri> | rm <alias>   usrloc aliases
  online                                     registered AORs
  ps                                         processes with CPU% and RSS
  monitor [--once] [--interval N] [--count N]  live statistics
  fifo <cmd> [args...]                       raw MI command over the FIFO
  unixsock <cmd> [args...]                   raw MI command over mi_datagram
  ping <uri>                                 send OPTIONS, print the status
  start | stop | restart                     run the server (PID_FILE)
  reload                                     check openser.cfg, switch the
                                             workers to its routing script
  doctor [-f openser.cfg]                    check rc, DB, schema, MI, PID
  config                                     the effective settings
  version | help

options (anywhere on the line):
  --json            machine-readable output (errors too, on stdout)
  --rc FILE         read FILE after the default openserctlrc files
  -o NAME=VALUE     override a setting (e.g. -o OSER_FIFO=/run/openser_fifo)
  --timeout SECS    MI / ping timeout (MI_TIMEOUT)
  --color WHEN      auto (default: only on a terminal), always, never;
                    NO_COLOR in the environment always disables colour

exit status: 0 ok, 1 the server or database answered with an error,
2 usage error, 3 cannot reach the server or the database.
"""


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of exiting."""

    def error(self, message):
        raise UsageError(message, hint="%s -h" % self.prog)


def common_options():
    p = _Parser(add_help=False)
    s = argparse.SUPPRESS
    p.add_argument("--json", action="store_true", default=s)
    p.add_argument("--rc", default=s)
    p.add_argument("--color", "--colour", choices=["auto", "always",
                                                   "never"], default=s)
    p.add_argument("-o", dest="overrides", action="append", default=s,
                   metavar="NAME=VALUE")
    p.add_argument("--timeout", default=s)
    return p


def build_parser():
    common = common_options()
    ap = _Parser(prog="openserctl", add_help=False, parents=[common],
                 usage=argparse.SUPPRESS)
    ap.add_argument("-h", "--help", action="store_true")
    ap.add_argument("-V", "--version", action="store_true")
    sub = ap.add_subparsers(dest="command", parser_class=_Parser)
    orig = sub.add_parser

    def add_parser(name, **kw):
        kw.setdefault("parents", [common])
        kw.setdefault("prog", "openserctl " + name)
        return orig(name, **kw)
    sub.add_parser = add_parser
    register_all(sub)
    reload_cmd.register(sub)
    for name in ("version", "help", "config"):
        sub.add_parser(name).set_defaults(func=None, needs=None)
    return ap


def merge_settings(rc, overrides):
    """DEFAULTS < rc files < OPENSER_<NAME> env < -o; returns
    ``(settings, source_of_each)``."""
    settings, source = {}, {}
    for key, value in DEFAULTS.items():
        settings[key], source[key] = value, "default"
    for key, value in rc.items():
        settings[key], source[key] = value, "openserctlrc"
    for key, value in os.environ.items():
        if key.startswith(ENV_PREFIX) and len(key) > len(ENV_PREFIX):
            name = key[len(ENV_PREFIX):]
            if name.isupper() or "_" in name:
                settings[name], source[name] = value, "env " + key
    for item in overrides or ():
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise UsageError("-o wants NAME=VALUE, got %r" % item)
        settings[name], source[name] = value, "-o"
    return settings, source


def _config(ctx):
    data = {}
    lines = []
    for key in sorted(ctx.s):
        value = ctx.s[key]
        if "PW" in key and value:
            value = "********"
        if key == "DB_URL" and value:
            from openser_py.db.url import mask_url
            value = mask_url(value)
        src = ctx.sources["settings"].get(key, "")
        data[key] = {"value": value, "source": src}
        lines.append("%s=%s    # %s" % (key, value, src))
    ctx.emit({"settings": data, "files": ctx.sources.get("files", [])},
             lines)


def main(argv=None, stdout=None, stderr=None):
    """Entry point (console script ``openserctl`` and sbin/openserctl);
    returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        opts = build_parser().parse_args(argv)
    except UsageError as exc:
        ctx = Context({}, json_out="--json" in argv, stdout=out, stderr=err)
        ctx.report_error(exc)
        return EXIT_USAGE
    except SystemExit as exc:          # -h of a sub-command
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if opts.version or opts.command == "version":
        if getattr(opts, "json", False):
            out.write(json.dumps({"tool": "openserctl",
                                  "version": version.FULL_VERSION,
                                  "release": version.RELEASE}) + "\n")
        else:
            out.write("openserctl for %s\n" % version.FULL_VERSION)
        return EXIT_OK
    if opts.help or opts.command in (None, "help"):
        (out if opts.command or opts.help else err).write(USAGE)
        return EXIT_OK if (opts.command or opts.help) else EXIT_USAGE
    json_out = getattr(opts, "json", False)
    try:
        try:
            rc = rcmod.load_rc(getattr(opts, "rc", None))
        except OSError as exc:
            raise UsageError("cannot read rc file %s: %s"
                             % (exc.filename, exc.strerror)) from None
        settings, source = merge_settings(rc, getattr(opts, "overrides",
                                                      None))
        if getattr(opts, "timeout", None):
            settings["MI_TIMEOUT"] = opts.timeout
            source["MI_TIMEOUT"] = "--timeout"
    except UsageError as exc:
        ctx = Context({}, json_out=json_out, stdout=out, stderr=err)
        ctx.report_error(exc)
        return exc.status
    ctx = Context(settings, json_out=json_out,
                  colour=getattr(opts, "color", "auto"), stdout=out,
                  stderr=err, sources={"files": rc.files,
                                       "warnings": rc.warnings,
                                       "settings": source})
    for w in rc.warnings:
        ctx.warn(w)
    # the DB layer logs through dprint; openserctl reports errors itself,
    # so its log lines only show with VERBOSE=1 (1.3's setting)
    saved_debug = dprint.state.debug
    if not ctx.get_bool("VERBOSE"):
        dprint.state.debug = dprint.L_CRIT
    try:
        if opts.command == "config":
            _config(ctx)
            return EXIT_OK
        status = opts.func(ctx, opts)
        return EXIT_OK if status is None else status
    except CtlError as exc:
        ctx.report_error(exc)
        return exc.status
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 -- never a raw traceback
        if os.environ.get("OPENSERCTL_DEBUG"):
            raise
        ctx.report_error(CtlError("internal error: %s: %s"
                                  % (exc.__class__.__name__, exc),
                                  hint="run with OPENSERCTL_DEBUG=1 for a "
                                       "traceback"))
        return EXIT_ERROR
    finally:
        ctx.close()
        dprint.state.debug = saved_debug


__all__ = ["main", "build_parser", "merge_settings"]

if __name__ == "__main__":
    sys.exit(main())
