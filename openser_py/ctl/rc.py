"""Read ``openserctlrc`` files: shell-style ``NAME=value`` settings.

Files read, later ones overriding earlier ones (as 1.3's tools source them):

1. ``etc/openser/openserctlrc`` of the install or checkout -- the directory
   above the running launcher (``<prefix>/sbin/..``) or above the package;
2. ``~/.openserctlrc``;
3. the file named by the ``OPENSERCTLRC`` environment variable, then the one
   given with ``--rc`` (both optional).

Only assignments are understood -- ``NAME=value``, optionally prefixed with
``export`` -- with the shell's quoting: ``'literal'``, ``"with $VAR"``,
unquoted words with ``$VAR``/``${VAR}`` expansion (from earlier settings,
then the environment) and ``#`` comments.  Anything else (shell code) is
reported in :attr:`RcConfig.warnings` and skipped; the file is never run.
"""
import os
import re
import sys

ENV_RC = "OPENSERCTLRC"
_NAME_RE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


class RcConfig(dict):
    """The merged settings (a dict) plus the files read and any warnings."""

    def __init__(self):
        super().__init__()
        self.files = []
        self.warnings = []

    def get_bool(self, name, default=False):
        """Truth value of a yes/no/1/0 setting."""
        value = self.get(name)
        if value is None or value == "":
            return default
        return value.strip().lower() in ("1", "yes", "y", "true", "on")


def _expand(text, scope):
    def repl(m):
        name = m.group(1) or m.group(2)
        if name in scope:
            return scope[name]
        return os.environ.get(name, "")
    return _VAR_RE.sub(repl, text)


def parse_value(text, scope=None):
    """Value of the right-hand side of ``NAME=...`` with shell quoting.

    Returns ``(value, rest_ok)``; ``rest_ok`` is False when something other
    than a comment follows the value (e.g. ``A=1; echo``).
    """
    scope = scope or {}
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "'":
            j = text.find("'", i + 1)
            if j < 0:
                return "".join(out), False
            out.append(text[i + 1:j])
            i = j + 1
        elif ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`':
                    out.append(text[j + 1])
                    j += 2
                    continue
                m = _VAR_RE.match(text, j)
                if m:
                    out.append(_expand(m.group(0), scope))
                    j = m.end()
                    continue
                out.append(text[j])
                j += 1
            if j >= n:
                return "".join(out), False
            i = j + 1
        elif ch.isspace():
            rest = text[i:].strip()
            return "".join(out), (not rest or rest.startswith("#"))
        elif ch == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
        elif ch in ";&|`(":
            return "".join(out), False
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "'\"\\;&|`(":
                j += 1
            out.append(_expand(text[i:j], scope))
            i = j
    return "".join(out), True


def parse_rc(text, scope=None, name="openserctlrc"):
    """Parse rc *text*; return ``(settings, warnings)``.

    *scope* holds earlier settings used for ``$VAR`` expansion.
    """
    settings, warnings = {}, []
    merged = dict(scope or {})
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _NAME_RE.match(line)
        if not m:
            warnings.append("%s:%d: not a NAME=value line, ignored: %s"
                            % (name, lineno, line))
            continue
        value, ok = parse_value(m.group(2), merged)
        if not ok:
            warnings.append("%s:%d: trailing shell code ignored" % (name, lineno))
        settings[m.group(1)] = merged[m.group(1)] = value
    return settings, warnings


def default_files(argv0=None):
    """The rc files read by default, in order (existing or not)."""
    files = []
    candidates = []
    if argv0 or sys.argv[0]:
        exe = os.path.realpath(argv0 or sys.argv[0])
        candidates.append(os.path.join(os.path.dirname(os.path.dirname(exe)),
                                       "etc", "openser", "openserctlrc"))
    candidates.append(os.path.join(TOP, "etc", "openser", "openserctlrc"))
    for path in candidates:
        if os.path.isfile(path):
            files.append(path)
            break
    files.append(os.path.join(os.path.expanduser("~"), ".openserctlrc"))
    if os.environ.get(ENV_RC):
        files.append(os.environ[ENV_RC])
    return files


def load_rc(rc_option=None, files=None, argv0=None):
    """Read the rc files (see module doc) and return an :class:`RcConfig`.

    A missing default file is skipped; a missing ``OPENSERCTLRC`` or
    ``--rc`` file raises ``OSError`` (the user asked for it explicitly).
    """
    cfg = RcConfig()
    paths = list(files) if files is not None else default_files(argv0)
    explicit = set()
    if files is None and os.environ.get(ENV_RC):
        explicit.add(os.environ[ENV_RC])
    if rc_option:
        paths.append(rc_option)
        explicit.add(rc_option)
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            if path in explicit:
                raise
            continue
        settings, warnings = parse_rc(text, cfg, path)
        cfg.update(settings)
        cfg.warnings.extend(warnings)
        cfg.files.append(path)
    return cfg
