# ----------------------------------------------------------------------
# openser_py.core.coreparams: registry of OpenSER 1.3 global parameters
#
# gunicorn "Setting" style: one declaration per parameter with name,
# aliases, type, default, command-line flag, validator and doc.  The cfg
# grammar only knows a generic "name = value"; names and values are
# checked here (apply_core_params), with file:line:col errors.
# ----------------------------------------------------------------------
"""Core (global) parameters of OpenSER 1.3 (reference section 1.8).

    from openser_py.core.coreparams import apply_core_params, SETTINGS
    values, errors = apply_core_params(config)   # config: cfg.ast.Config

``values`` maps every canonical parameter name to its value (default when
the script does not set it).  ``listen``, ``alias`` and ``dst_blacklist``
accumulate over repeated assignments; any other parameter keeps the last
assignment.  ``values["tls_domains"]`` lists the ``tls_server_domain[..]``
/ ``tls_client_domain[..]`` blocks as :class:`TlsDomain`.  ``errors`` is a
list of :class:`openser_py.cfg.parser.CfgError` (unknown parameter, wrong
value type, bad value).

Value types (``Setting.type``): ``int``, ``bool`` (number; yes/no/on/off/
true/false/enable/disable are numbers too), ``str`` (quoted string),
``id_or_str`` (bare word or string), ``host`` (IP, host name or string),
``sockets`` (``[proto:]host[:port]`` list), ``facility``, ``poll_method``,
``tls_method``, ``tos`` and ``blacklist``.
"""
from collections import namedtuple

from openser_py.cfg import ast
from openser_py.cfg.parser import CfgError

SocketId = namedtuple("SocketId", "proto host port")
SocketId.__doc__ = ("listen/alias entry: proto None = all, port None = "
                    "default, port 0 = any")
TlsDomain = namedtuple("TlsDomain", "kind target params")

FACILITIES = ("LOG_AUTH", "LOG_AUTHPRIV", "LOG_CRON", "LOG_DAEMON",
              "LOG_FTP", "LOG_KERN", "LOG_LOCAL0", "LOG_LOCAL1", "LOG_LOCAL2",
              "LOG_LOCAL3", "LOG_LOCAL4", "LOG_LOCAL5", "LOG_LOCAL6",
              "LOG_LOCAL7", "LOG_LPR", "LOG_MAIL", "LOG_NEWS", "LOG_SYSLOG",
              "LOG_USER", "LOG_UUCP")
POLL_METHODS = ("poll", "epoll_lt", "epoll_et", "sigio_rt", "select",
                "kqueue", "/dev/poll")
TLS_METHODS = ("SSLv23", "SSLv2", "SSLv3", "TLSv1")
TOS_NAMES = {"IPTOS_LOWDELAY": 0x10, "IPTOS_THROUGHPUT": 0x08,
             "IPTOS_RELIABILITY": 0x04, "IPTOS_MINCOST": 0x02,
             "IPTOS_LOWCOST": 0x02}
TLS_DOMAIN_PARAMS = {
    "tls_server_domain": ("tls_method", "tls_certificate", "tls_private_key",
                          "tls_ca_list", "tls_ciphers_list",
                          "tls_verify_client",
                          "tls_require_client_certificate"),
    "tls_client_domain": ("tls_method", "tls_certificate", "tls_private_key",
                          "tls_ca_list", "tls_ciphers_list",
                          "tls_verify_server"),
}


# --- validators: AST value node -> python value, or raise ValueError -------
def _number(node, what="number expected"):
    if not isinstance(node, ast.Number):
        raise ValueError(what)
    return node.value


def validate_int(node):
    return _number(node)


def validate_bool(node):
    return _number(node, "boolean value expected") != 0


def validate_str(node):
    if not isinstance(node, ast.String):
        raise ValueError("string value expected")
    return node.value


def validate_id_or_str(node):
    if isinstance(node, ast.String):
        return node.value
    if isinstance(node, ast.Word):
        return node.name
    raise ValueError("string or identifier expected")


def _choice(node, choices, what, case_sensitive=False):
    text = validate_id_or_str(node)
    for choice in choices:
        if text == choice or (not case_sensitive
                              and text.lower() == choice.lower()):
            return choice
    raise ValueError("bad %s '%s' (one of: %s)"
                     % (what, text, ", ".join(choices)))


def validate_facility(node):
    return _choice(node, FACILITIES, "syslog facility")


def validate_poll_method(node):
    return _choice(node, POLL_METHODS, "tcp_poll_method value", True)


def validate_tls_method(node):
    return _choice(node, TLS_METHODS, "TLS method")


def validate_tos(node):
    if isinstance(node, ast.Number):
        if node.value <= 0:
            raise ValueError("invalid tos value")
        return node.value
    return TOS_NAMES[_choice(node, sorted(TOS_NAMES), "tos value")]


def _host_text(node):
    if isinstance(node, ast.IpAddr):
        return node.address
    if isinstance(node, (ast.String, ast.Word)):
        return validate_id_or_str(node)
    raise ValueError("ip address or hostname expected")


def validate_host(node):
    return _host_text(node)


def validate_sockets(node):
    specs = node.specs if isinstance(node, ast.SocketList) else [node]
    out = []
    for spec in specs:
        if isinstance(spec, ast.SocketSpec):
            port = spec.port.value if spec.port is not None else None
            out.append(SocketId(spec.proto, _host_text(spec.host), port))
        else:
            out.append(SocketId(None, _host_text(spec), None))
    return out


def validate_log_format(node):
    return _choice(node, ("text", "json"), "log_format")


def _dns_server(text):
    from openser_py.core.resolve import parse_dns_servers
    parse_dns_servers(text)                 # ValueError: a config error
    return text


def validate_blacklist(node):
    if not isinstance(node, ast.Blacklist):
        raise ValueError("name:{ (proto, net, port, \"text\"), ... } expected")
    return [(node.name, node.rules)]


class Setting(object):
    """One core parameter (gunicorn ``Setting`` style)."""

    __slots__ = ("name", "type", "default", "doc", "cli", "aliases",
                 "section", "validator", "multiple")

    def __init__(self, name, type, default, doc, cli=None, aliases=(),
                 section="", validator=None, multiple=False):
        self.name = name
        self.type = type
        self.default = default
        self.doc = doc
        self.cli = cli
        self.aliases = tuple(aliases)
        self.section = section
        self.validator = validator or VALIDATORS[type]
        self.multiple = multiple

    def validate(self, node):
        """Return the python value of AST *node*; ValueError if invalid."""
        return self.validator(node)

    def __repr__(self):
        return "<Setting %s (%s)>" % (self.name, self.type)


VALIDATORS = {
    "int": validate_int, "bool": validate_bool, "str": validate_str,
    "id_or_str": validate_id_or_str, "host": validate_host,
    "sockets": validate_sockets, "facility": validate_facility,
    "poll_method": validate_poll_method, "tls_method": validate_tls_method,
    "tos": validate_tos, "blacklist": validate_blacklist,
    "log_format": validate_log_format,
}

SETTINGS = []          # in declaration order
KNOWN_SETTINGS = {}    # name and every alias -> Setting


def _define(section, name, type, default, doc, **kw):
    s = Setting(name, type, default, doc, section=section, **kw)
    SETTINGS.append(s)
    for key in (name,) + s.aliases:
        KNOWN_SETTINGS[key] = s
    return s


# fmt: off
_S = "Logging"
_define(_S, "debug", "int", 2, "Log level, -3 (ALERT) .. 4 (DBG); larger values act as 4. "
        "-d on the command line increments it (repeatable).", cli="-d")
_define(_S, "log_stderror", "bool", False, "Log to stderr instead of syslog.", cli="-E")
_define(_S, "log_facility", "facility", "LOG_DAEMON", "syslog(3) facility name.")
_define(_S, "log_name", "str", None, "syslog identity (default argv[0]).")
_define(_S, "log_format", "log_format", "text", "Record format: text (OpenSER's) or "
        "json (one JSON object per line; doc/operations.md).")
_define(_S, "memlog", "int", 4, "Log level of memory status dumps.", aliases=("mem_log",))

_S = "Processes"
_define(_S, "fork", "bool", True, "fork=no: one process, first UDP socket only, no TCP.",
        cli="-D")
_define(_S, "children", "int", 8, "Worker processes per UDP listen socket.", cli="-n")
_define(_S, "tcp_children", "int", None, "TCP worker processes (default: children).",
        cli="-N")
_define(_S, "user", "id_or_str", None, "setuid to this user after binding.", cli="-u",
        aliases=("uid",))
_define(_S, "group", "id_or_str", None, "setgid to this group.", cli="-g",
        aliases=("gid",))
_define(_S, "chroot", "id_or_str", None, "chroot directory.", cli="-t")
_define(_S, "workdir", "id_or_str", "/", "Working directory.", cli="-w", aliases=("wdir",))
_define(_S, "disable_core_dump", "bool", False, "Do not enable core dumps.")
_define(_S, "open_files_limit", "int", -1, "RLIMIT_NOFILE to set (-1: untouched).")
_define(_S, "max_while_loops", "int", 100, "Iteration limit of a script while loop.")

_S = "Network"
_define(_S, "listen", "sockets", [], "Listen sockets [proto:]host[:port] (repeatable); "
        "none = all interfaces.", cli="-l", multiple=True)
_define(_S, "alias", "sockets", [], "Extra names considered 'myself' (same syntax as "
        "listen).", multiple=True)
_define(_S, "port", "int", 5060, "Default port of listen entries without one.")
_define(_S, "auto_aliases", "bool", True, "Add reverse-DNS names of listen IPs as aliases.")
_define(_S, "advertised_address", "host", None, "Address written in Via/Record-Route.")
_define(_S, "advertised_port", "int", None, "Port written in Via/Record-Route.")
_define(_S, "maxbuffer", "int", 262144, "Largest UDP receive buffer probed.", cli="-b")
_define(_S, "mhomed", "bool", False, "Pick the outgoing interface from the routing table.")
_define(_S, "tos", "tos", 0x10, "IP TOS of sent packets: number or IPTOS_* name "
        "(the name form is buggy in 1.3.1; numbers are safe).")
_define(_S, "mcast_loopback", "bool", False, "Multicast loopback.")
_define(_S, "mcast_ttl", "int", -1, "Multicast TTL (-1: OS default).")

_S = "SIP"
_define(_S, "check_via", "bool", False, "Stateless reply forwarding: first Via must be us.",
        cli="-v")
_define(_S, "sip_warning", "bool", False, "Add a Warning: header to local replies.")
_define(_S, "server_signature", "bool", True, "Add a Server: header to local replies.")
_define(_S, "server_header", "str", None, "Whole Server header line (no CRLF); default "
        "'Server: OpenSER (<version> (<arch>/<os>))'.")
_define(_S, "user_agent_header", "str", None, "Whole User-Agent line of local requests.")
_define(_S, "reply_to_via", "bool", False, "Send local replies to the Via address.")
_define(_S, "avp_aliases", "str", None, "Global AVP aliases, 'alias=i:12;other=s:name'.")

_S = "DNS"
_define(_S, "dns", "bool", False, "Forward DNS check before adding received=.", cli="-r")
_define(_S, "rev_dns", "bool", False, "Reverse DNS check before adding received=.",
        cli="-R")
_define(_S, "dns_try_ipv6", "bool", False, "Try AAAA after an A lookup failed.")
_define(_S, "dns_retr_time", "int", -1, "Resolver retry time (-1: resolver default).")
_define(_S, "dns_retr_no", "int", -1, "Resolver retries (-1: resolver default).")
_define(_S, "dns_servers_no", "int", -1, "Name servers used (-1: resolver default).")
_define(_S, "dns_use_search_list", "int", -1, "Boolean; -1 keeps the resolver default.")
_define(_S, "disable_dns_failover", "bool", False, "Global switch off for DNS failover.")
_define(_S, "disable_dns_blacklist", "bool", True, "No temporary blacklisting of failed "
        "destinations.")
_define(_S, "dns_server", "str", None, "openser_py addition: name servers "
        "'ip[:port][, ...]' used instead of resolv.conf's (doc/dev/dns.md).",
        validator=lambda node: _dns_server(validate_str(node)))
_define(_S, "dst_blacklist", "blacklist", [], "Named static blacklist "
        "name:{ [!](proto, ip[/mask], port, \"text\"), ... } (repeatable).", multiple=True)

_S = "TCP"
_define(_S, "disable_tcp", "bool", False, "Disable TCP.", cli="-T")
_define(_S, "tcp_accept_aliases", "bool", False, "Honour ;alias in Via for connection reuse.")
_define(_S, "tcp_send_timeout", "int", 10, "TCP send timeout (s).")
_define(_S, "tcp_connect_timeout", "int", 10, "TCP connect timeout (s).")
_define(_S, "tcp_connection_lifetime", "int", 120, "Idle lifetime of TCP connections (s).")
_define(_S, "tcp_poll_method", "poll_method", None, "I/O wait method (default: best "
        "available).", cli="-W")
_define(_S, "tcp_max_connections", "int", 2048, "Maximum open TCP connections.")

_S = "TLS"
_define(_S, "disable_tls", "bool", True, "Disable TLS.")
_define(_S, "tls_port_no", "int", 5061, "Default TLS port.")
_define(_S, "tls_method", "tls_method", None, "SSLv23, SSLv2, SSLv3 or TLSv1.")
_define(_S, "tls_verify_client", "bool", None, "Verify client certificates.")
_define(_S, "tls_verify_server", "bool", None, "Verify server certificates.")
_define(_S, "tls_require_client_certificate", "bool", None, "Require a client certificate.")
_define(_S, "tls_certificate", "str", None, "Certificate file (default "
        "<CFG_DIR>/tls/cert.pem).")
_define(_S, "tls_private_key", "str", None, "Private key file (default "
        "<CFG_DIR>/tls/cert.pem).")
_define(_S, "tls_ca_list", "str", None, "CA list file.")
_define(_S, "tls_ciphers_list", "str", None, "OpenSSL cipher list.")
_define(_S, "tls_handshake_timeout", "int", None, "TLS handshake timeout.")
_define(_S, "tls_send_timeout", "int", None, "TLS send timeout.")
_define(_S, "tls_client_domain_avp", "int", None, "AVP id naming the TLS client domain.")
_define(_S, "tls_log", "int", None, "TLS log level (1.3.1's lexer maps it to tls_port_no, "
        "so it never worked there).", aliases=("tlslog",))

_S = "Modules"
_define(_S, "mpath", "str", None, "Prefix of relative loadmodule paths ('/' appended).")
# fmt: on
del _S


def defaults():
    """Fresh dict of every canonical name -> default value."""
    values = {}
    for s in SETTINGS:
        values[s.name] = list(s.default) if s.multiple else s.default
    values["tls_domains"] = []
    return values


def lookup(name):
    """Return the Setting for *name* (canonical or alias) or None."""
    return KNOWN_SETTINGS.get(name)


def cli_settings():
    """Map command-line flag (``-n``) -> Setting."""
    return dict((s.cli, s) for s in SETTINGS if s.cli)


# pre-1.2 core parameters whose job moved into modules
_MOVED = {
    "fifo": "mi_fifo module: modparam(\"mi_fifo\", \"fifo_name\", ...)",
    "fifo_mode": "mi_fifo module: modparam(\"mi_fifo\", \"fifo_mode\", ...)",
    "fifo_dir": "mi_fifo module",
    "fifo_db_url": "mi_fifo module",
    "unix_sock": "mi_datagram module: modparam(\"mi_datagram\", "
                 "\"socket_name\", ...)",
    "unix_sock_children": "mi_datagram module: modparam(\"mi_datagram\", "
                          "\"children_count\", ...)",
}


def _suggest(name):
    """A hint for an unknown parameter name: moved, or misspelt, or ''."""
    if name in _MOVED:
        return " (not a core parameter since OpenSER 1.2: use the %s)" \
            % _MOVED[name]
    import difflib
    hint = difflib.get_close_matches(name, sorted(KNOWN_SETTINGS), n=1)
    return " (did you mean '%s'?)" % hint[0] if hint else ""


def _apply_one(param, values, errors, allowed=None):
    setting = KNOWN_SETTINGS.get(param.name)
    if setting is None:
        errors.append(CfgError.at(param.coord,
                                  "unknown core parameter '%s'%s"
                                  % (param.name, _suggest(param.name))))
        return None
    if allowed is not None and setting.name not in allowed:
        errors.append(CfgError.at(param.coord,
                                  "core parameter '%s' is not allowed in "
                                  "this block" % param.name))
        return None
    try:
        value = setting.validate(param.value)
    except ValueError as e:
        coord = getattr(param.value, "coord", None) or param.coord
        errors.append(CfgError.at(coord, "bad value for core parameter '%s': %s"
                                  % (param.name, e)))
        return None
    if setting.multiple:
        values[setting.name] = values[setting.name] + value
    else:
        values[setting.name] = value
    return setting


def _apply_domain(block, values, errors):
    try:
        if isinstance(block.target, ast.SocketSpec):
            target = validate_sockets(block.target)[0]
        else:
            target = validate_host(block.target)
    except ValueError as e:
        errors.append(CfgError.at(block.target.coord, "bad %s: %s"
                                  % (block.name, e)))
        return
    params = {}
    for param in block.params:
        _apply_one(param, params, errors, TLS_DOMAIN_PARAMS[block.name])
    values["tls_domains"].append(TlsDomain(block.name, target, params))


def apply_core_params(config):
    """Validate every global assignment of *config* against the registry.

    Returns:
        (values, errors): values as described in the module docstring;
        errors a list of CfgError with the coordinates of the offending
        parameter name (unknown) or value (wrong type / bad value).
    """
    values = defaults()
    errors = []
    for item in config.items:
        if isinstance(item, ast.CoreParam):
            _apply_one(item, values, errors)
        elif isinstance(item, ast.DomainBlock):
            _apply_domain(item, values, errors)
    return values, errors


def format_docs():
    """Markdown table of every setting (for generated documentation)."""
    lines = ["| Parameter | Type | Default | CLI | Description |",
             "|---|---|---|---|---|"]
    for s in SETTINGS:
        name = " / ".join("`%s`" % n for n in (s.name,) + s.aliases)
        lines.append("| %s | %s | %r | %s | %s |" % (
            name, s.type, s.default, s.cli or "", s.doc))
    return "\n".join(lines)
