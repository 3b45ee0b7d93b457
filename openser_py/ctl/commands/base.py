"""What every ``openserctl`` command uses: settings, output, errors.

A command is a function ``cmd(ctx, opts)`` taking the :class:`Context` of
the run and the argparse namespace; it prints through :meth:`Context.emit`
(text, or JSON with ``--json``) and fails by raising :class:`CtlError`
(exit status 1), :class:`UsageError` (2) or :class:`Unreachable` (3).
Database access is in :mod:`.dbutil`, MI access in :mod:`.mi`.
"""
import json
import os
import sys

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3

#: openserctlrc settings and their defaults (reference section 10.1)
DEFAULTS = {
    "SIP_DOMAIN": "",
    "DBENGINE": "",
    "DBHOST": "localhost",
    "DBPORT": "",
    "DBNAME": "openser",
    "DBRWUSER": "openser",
    "DBRWPW": "",
    "DB_PATH": "",
    "DB_URL": "",
    "CTLENGINE": "FIFO",
    "OSER_FIFO": "/tmp/openser_fifo",
    "OSER_REPLY_DIR": "/tmp/",
    "OSER_UNIXSOCK": "/tmp/openser.sock",
    "ALIASES_TYPE": "",
    "VERIFY_ACL": "1",
    "ACL_GROUPS": "local ld int voicemail free-pstn",
    "STORE_PLAINTEXT_PW": "1",
    "PID_FILE": "/var/run/openser.pid",
    "STARTOPTIONS": "",
    "OSERBIN": "",
    "SYSLOG": "1",
    "WATCH_PERIOD": "2",
    "MI_TIMEOUT": "10",
    "VERBOSE": "0",
    "SUB_TABLE": "subscriber", "ACL_TABLE": "grp", "UL_TABLE": "location",
    "ALS_TABLE": "aliases", "DA_TABLE": "dbaliases", "DOMAIN_TABLE": "domain",
    "AVP_TABLE": "usr_preferences", "TRUSTED_TABLE": "trusted",
    "ADDRESS_TABLE": "address", "DISPATCHER_TABLE": "dispatcher",
}

#: environment prefix overriding any setting (OPENSER_DBRWPW, ...)
ENV_PREFIX = "OPENSER_"


class CtlError(Exception):
    """A failure: one-line *message*, optional *hint*, exit *status*."""

    status = EXIT_ERROR

    def __init__(self, message, hint=None, status=None):
        super().__init__(message)
        self.hint = hint
        if status is not None:
            self.status = status


class UsageError(CtlError):
    """Bad command line or settings (exit status 2)."""

    status = EXIT_USAGE


class Unreachable(CtlError):
    """The server or the database cannot be reached (exit status 3)."""

    status = EXIT_UNREACHABLE


_COLOURS = {"ERROR": "\033[31;1m", "WARNING": "\033[33m", "INFO": "\033[32m",
            "OK": "\033[32m", "FAIL": "\033[31;1m", "WARN": "\033[33m"}
_RESET = "\033[0m"


def use_colour(stream, mode="auto"):
    """Colour on *stream*?  Never with ``NO_COLOR`` set (any value but
    empty), never with ``--color=never``, else only on a terminal unless
    ``--color=always``."""
    if os.environ.get("NO_COLOR", "") != "":
        return False
    if mode == "never":
        return False
    if mode == "always":
        return True
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


class Context:
    """One run: merged settings, output mode and lazily opened resources."""

    def __init__(self, settings, json_out=False, colour="auto",
                 stdout=None, stderr=None, sources=None):
        self.s = settings
        self.sources = sources or {}
        self.json = json_out
        self.out = stdout or sys.stdout
        self.err = stderr or sys.stderr
        self.colour_out = use_colour(self.out, colour)
        self.colour_err = use_colour(self.err, colour)
        self._db = None
        self.warnings = []

    # -- settings -----------------------------------------------------------
    def get(self, key, default=None):
        """Setting *key* ('' counts as unset); falls back to DEFAULTS."""
        value = self.s.get(key)
        if value not in (None, ""):
            return value
        if default is not None:
            return default
        return DEFAULTS.get(key, "")

    def get_bool(self, key):
        return self.get(key).strip().lower() in ("1", "yes", "y", "true",
                                                 "on")

    def timeout(self):
        try:
            return max(0.1, float(self.get("MI_TIMEOUT")))
        except ValueError:
            raise UsageError("MI_TIMEOUT %r is not a number"
                             % self.get("MI_TIMEOUT")) from None

    def table(self, key):
        """Table name setting (SUB_TABLE, ...)."""
        return self.get(key)

    # -- users ----------------------------------------------------------------
    def split_user(self, arg, what="user"):
        """``user[@domain]`` (``sip:`` allowed) -> (user, domain); the domain
        defaults to SIP_DOMAIN (1.3's ``set_user``)."""
        text = arg[4:] if arg.lower().startswith("sip:") else arg
        user, at, domain = text.partition("@")
        if not user:
            raise UsageError("empty %s name in %r" % (what, arg))
        if not at:
            domain = self.get("SIP_DOMAIN")
            if not domain:
                raise UsageError(
                    "domain unknown for %s %r" % (what, arg),
                    hint="use user@domain or set SIP_DOMAIN in openserctlrc")
        elif not domain:
            raise UsageError("empty domain in %r" % arg)
        return user, domain

    def aor(self, arg):
        """``user@domain`` for usrloc (domain from SIP_DOMAIN if missing)."""
        user, domain = self.split_user(arg)
        return "%s@%s" % (user, domain)

    # -- output -----------------------------------------------------------------
    def emit(self, data, text=None):
        """Print a result: ``data`` as JSON with --json, else *text* (a
        string or a list of lines; None prints nothing)."""
        if self.json:
            self.out.write(json.dumps(data, indent=2, sort_keys=True,
                                      default=str) + "\n")
            return
        if text is None:
            return
        if isinstance(text, (list, tuple)):
            text = "\n".join(text) + ("\n" if text else "")
        elif text and not text.endswith("\n"):
            text += "\n"
        self.out.write(text)

    def paint(self, word, stream="out"):
        """*word* coloured by its meaning (ERROR, OK...) when allowed."""
        on = self.colour_out if stream == "out" else self.colour_err
        code = _COLOURS.get(word.strip(" :*"))
        return "%s%s%s" % (code, word, _RESET) if on and code else word

    def message(self, level, text):
        """``LEVEL: text`` on stderr (1.3's ``ERROR:``/``WARNING:``/``INFO:``)."""
        self.err.write("%s %s\n" % (self.paint(level + ":", "err"), text))

    def warn(self, text):
        self.warnings.append(text)
        self.message("WARNING", text)

    def info(self, text):
        if not self.json:
            self.message("INFO", text)

    def report_error(self, exc):
        """Print a :class:`CtlError` (stderr; with --json also a JSON
        object on stdout)."""
        self.message("ERROR", str(exc))
        if exc.hint:
            self.err.write("  hint: %s\n" % exc.hint)
        if self.json:
            self.out.write(json.dumps({"ok": False, "error": str(exc),
                                       "hint": exc.hint,
                                       "status": exc.status}) + "\n")

    # -- resources ---------------------------------------------------------------
    def close(self):
        if self._db is not None:
            try:
                self._db.close()
            except Exception:  # noqa: BLE001 -- closing is best effort
                pass
            self._db = None


def table_text(headers, rows):
    """Rows as an aligned text table (stdlib only)."""
    rows = [["" if v is None else str(v) for v in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in rows:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], len(v))
    fmt = "  ".join("%%-%ds" % w for w in widths)
    lines = [(fmt % tuple(headers)).rstrip(),
             (fmt % tuple("-" * w for w in widths)).rstrip()]
    lines += [(fmt % tuple(r)).rstrip() for r in rows]
    return lines


def rows_as_dicts(cols, rows):
    """DB rows -> list of dicts (datetime as ISO text)."""
    out = []
    for r in rows:
        d = {}
        for c, v in zip(cols, r):
            d[c] = v.isoformat(" ") if hasattr(v, "isoformat") else v
        out.append(d)
    return out
