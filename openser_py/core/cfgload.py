"""Load an openser.cfg: parse, core params, modules, modparams, compile.

:func:`load_config` runs OpenSER's start-up steps up to the compiled script
and collects **every** error with its ``file:line:col`` instead of stopping
at the first.  ``openser -c`` prints them; the server refuses to start if
there are any.

Order (as OpenSER's): parse -> core parameters -> ``loadmodule`` and
``modparam`` in file order (``mpath`` applies to the ``loadmodule`` lines
after it) -> listen sockets -> ``mod_init`` (not in check mode) -> fixups and
compilation of the routes.
"""
import os

from openser_py.cfg import ast
from openser_py.cfg.parser import CfgError, format_error, get_parser, \
    read_cfg_file
from openser_py.core import (blacklist, coreparams, forward, pvar, statistics,
                             usr_avp)
from openser_py.core.actions import CORE
from openser_py.core.socket_info import Myself, SocketError, \
    build_socket_list
from openser_py.core.sr_module import ModuleLoadError, ModuleRegistry, \
    set_current_registry
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_uri import parse_uri

#: True while only checking a config (``openser -c``); modules may consult it
check_only = False
#: the Script most recently loaded in this process (core params for modules)
current_script = None


class Script:
    """Everything a loaded config produced."""

    def __init__(self, path, source):
        self.path = path
        self.source = source
        self.config = None
        self.params = coreparams.defaults()
        self.registry = ModuleRegistry()
        self.sockets = []
        self.myself = Myself([])
        self.tables = None
        self.errors = []

    def format_errors(self):
        """Every error as ``file:line:col: message`` + source line + caret."""
        return "\n".join(format_error(e, self.source if e.file == self.path
                                      else None) for e in self.errors)


class ScriptEnv:
    """``myself`` checks for the compiler, backed by :class:`Myself`."""

    def __init__(self, myself):
        self.myself = myself

    def _uri_check(self, text):
        if not text:
            return False
        try:
            uri = parse_uri(text)
        except SipParseError:
            return False
        return self.myself.check(uri.host, uri.port_no)

    def uri_is_myself(self, attr):
        check = self._uri_check
        myself = self.myself
        if attr in ("uri", "status"):
            def f(msg):
                if not msg.is_request:
                    return False
                if msg.new_uri is not None:
                    return check(msg.new_uri)
                try:
                    uri = msg.parsed_ruri        # parsed once per message
                except SipParseError:
                    return False
                return myself.check(uri.host, uri.port_no)
        elif attr == "from_uri":
            def f(msg):
                return msg.from_ is not None and check(msg.from_.uri)
        else:
            def f(msg):
                return msg.to is not None and check(msg.to.uri)
        return f

    def ip_is_myself(self, ip):
        return self.myself.check_ip(ip)

    def text_is_myself(self, text):
        if text is None:
            return False
        text = str(text)
        if ":" in text and not text.startswith("["):
            return self._uri_check(text)
        return self.myself.check(text, 0)


def _err(script, coord, message):
    script.errors.append(CfgError.at(coord, message))


def load_config(path, check=False, cli_params=None, tracer=None,
                init_modules=True, text=None):
    """Load the config at *path* (or the given *text*); return a :class:`Script`.

    ``script.errors`` is empty on success.  *cli_params* (name -> value)
    are command-line settings, applied first so that the config overrides
    them (1.3's precedence).  With *check* true no ``mod_init`` runs.
    """
    global check_only, current_script
    check_only = check
    if text is not None:
        source = text
    else:
        try:
            source = read_cfg_file(path)
        except OSError as exc:
            script = Script(path, "")
            script.errors.append(CfgError(path, 0, 0,
                                          "cannot read config file: %s"
                                          % exc.strerror))
            return script
    script = Script(path, source)
    current_script = script
    config, errors = get_parser().parse(source, path)
    script.errors.extend(errors)
    if config is None or errors:
        return script
    script.config = config
    values, errors = coreparams.apply_core_params(config)
    if cli_params:
        for name, value in cli_params.items():
            if not _in_config(config, name):
                values[name] = value
    script.params = values
    script.errors.extend(errors)
    _load_modules(script, config)
    _setup_sockets(script, config)
    _register_avp_aliases(script)
    try:
        blacklist.compile_lists(script.params.get("dst_blacklist") or [])
    except ValueError as exc:
        script.errors.append(CfgError(path, 0, 0, "bad dst_blacklist: %s" % exc))
    set_current_registry(script.registry)
    if not check and init_modules and not script.errors:
        _ensure_shm(script)
        try:
            script.registry.init_modules()
        except ModuleLoadError as exc:
            script.errors.append(CfgError(path, 0, 0, str(exc)))
            return script
    _compile(script, tracer)
    return script


def _ensure_shm(script):
    """Create the shm arena before mod_init if the caller has not (tools)."""
    from openser_py import mem
    if mem.get_allocator() is None:
        mb = script.params.get("shm_mem_size") or 32
        mem.shm_init(int(mb) * 1024 * 1024)


def _in_config(config, name):
    setting = coreparams.lookup(name)
    names = {name} | ({setting.name} | set(setting.aliases) if setting else set())
    return any(isinstance(i, ast.CoreParam) and i.name in names
               for i in config.items)


def _load_modules(script, config):
    mpath = None
    for item in config.items:
        if isinstance(item, ast.CoreParam) and item.name == "mpath":
            text = item.value.value if isinstance(item.value, ast.String) \
                else getattr(item.value, "name", None)
            mpath = text.strip() if text else None
            if mpath and not mpath.endswith("/"):
                mpath += "/"
        elif isinstance(item, ast.LoadModule):
            try:
                script.registry.load(item.path.value, mpath)
            except ModuleLoadError as exc:
                _err(script, item.path.coord or item.coord, str(exc))
        elif isinstance(item, ast.ModParam):
            value = item.value.value
            err = script.registry.set_mod_param_regex(item.module.value,
                                                      item.param.value, value)
            if err:
                _err(script, item.coord, err)
    for mod in script.registry.modules:
        if mod.exports.items:
            try:
                pvar.register_pv_exports(mod.exports.items, owner=mod.name)
            except pvar.PvError as exc:
                script.errors.append(CfgError(script.path, 0, 0,
                                              "module %s: %s" % (mod.name, exc)))
        if mod.exports.stats:
            statistics.register_module_stats(mod.name, mod.exports.stats)


def _listen_coord(config):
    for item in config.items:
        if isinstance(item, ast.CoreParam) and item.name == "listen":
            return item.coord
    return None


def _setup_sockets(script, config):
    p = script.params
    listen = [(s.proto, s.host, s.port) for s in p.get("listen") or []]
    aliases = [(s.proto, s.host, s.port) for s in p.get("alias") or []]
    try:
        script.sockets = build_socket_list(
            listen, port=p.get("port") or 5060,
            tls_port=p.get("tls_port_no") or 5061,
            tcp_enabled=not p.get("disable_tcp"),
            tls_enabled=not p.get("disable_tls", True))
    except SocketError as exc:
        _err(script, _listen_coord(config), str(exc))
        script.sockets = []
    adv = p.get("advertised_address")
    adv_port = p.get("advertised_port")
    for s in script.sockets:
        s.adv_address = adv or None
        s.adv_port = adv_port or None
    script.myself = Myself(script.sockets, aliases)
    forward.set_sockets(script.sockets)


def _register_avp_aliases(script):
    text = script.params.get("avp_aliases")
    if text:
        try:
            usr_avp.add_avp_galias_str(text)
        except ValueError as exc:
            script.errors.append(CfgError(script.path, 0, 0,
                                          "bad avp_aliases: %s" % exc))


def _compile(script, tracer):
    from openser_py.cfg.compile import Compiler
    comp = Compiler(script.registry, CORE, ScriptEnv(script.myself),
                    max_while_loops=script.params.get("max_while_loops") or 100,
                    tracer=tracer)
    script.tables = comp.compile(script.config)
    for coord, message in comp.errors:
        script.errors.append(CfgError.at(coord, message))
    script.errors.sort(key=lambda e: (e.file != script.path, e.file,
                                      e.line, e.col))


def check_file(path, out=None):
    """``openser -c``: print every error and return the exit status."""
    import sys
    out = out or sys.stderr
    script = load_config(os.fspath(path), check=True)
    if script.errors:
        out.write(script.format_errors() + "\n")
        out.write("%s: %d error(s) found\n" % (path, len(script.errors)))
        return 1
    return 0
