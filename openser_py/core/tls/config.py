"""TLS contexts from OpenSER 1.3's ``tls_*`` core parameters.

:func:`tls_init` runs in the master before fork (certificate files may be
readable by root only, and a bad file must stop start-up before anything is
forked) and returns a :class:`TlsContexts`: the default server and client
``ssl.SSLContext`` plus the per-address contexts of the
``tls_server_domain[ip:port] { ... }`` and ``tls_client_domain[ip:port]
{ ... }`` blocks.  TCP main inherits it and picks a context per connection.

Safe defaults (stricter than 1.3, which predates them):

* TLS 1.2 is the minimum whatever ``tls_method`` says: ``SSLv23`` and
  ``TLSv1`` (1.3's "TLS, any version" and "TLS 1.0") both mean "TLS 1.2 or
  newer"; ``SSLv2``/``SSLv3`` are refused at start-up;
* ``tls_ciphers_list`` is applied with the weak families always excluded
  (``!aNULL:!eNULL:!EXPORT:!DES:!3DES:!RC4:!MD5``); unset, the OpenSSL
  defaults of ``ssl.create_default_context`` are used;
* outgoing connections verify the server's certificate chain
  (``tls_verify_server``, default on) against ``tls_ca_list`` or, unset,
  the system's CA store.  The host name is not matched (the transport only
  sees the resolved address, as in 1.3);
* incoming connections ask for a client certificate when
  ``tls_verify_client`` is on and a CA list is configured, and refuse the
  handshake without a valid one when ``tls_require_client_certificate`` is
  on (it needs ``tls_ca_list``).
"""
import os

from openser_py.core.dprint import LM_INFO, LM_WARN

try:
    import ssl
except ImportError:  # pragma: no cover - CPython without OpenSSL
    ssl = None

DEFAULT_HANDSHAKE_TIMEOUT = 30      # seconds (1.3's tls_handshake_timeout)
DEFAULT_SEND_TIMEOUT = 30           # seconds (1.3's tls_send_timeout)
WEAK_CIPHERS = "!aNULL:!eNULL:!EXPORT:!DES:!3DES:!RC4:!MD5"
_OK_METHODS = (None, "SSLv23", "TLSv1")


class TlsConfigError(Exception):
    """The TLS parameters cannot be used (message says why)."""


def tls_available():
    """True if this Python has the ``ssl`` module (a ``-tls`` build)."""
    return ssl is not None


def _get(params, name, default=None):
    if params is None:
        return default
    value = params.get(name) if isinstance(params, dict) else \
        getattr(params, name, None)
    return default if value is None else value


def _on(opts, name):
    """Boolean option *name*, on unless set to a false value."""
    value = opts.get(name)
    return True if value is None else bool(value)


def _merge(base, overrides):
    out = dict(base)
    out.update({k: v for k, v in overrides.items() if v is not None})
    return out


def _base_context(opts, server_side):
    method = opts.get("tls_method")
    if method not in _OK_METHODS:
        raise TlsConfigError("tls_method %s is not supported: only TLS 1.2 "
                             "and newer are offered (use SSLv23)" % method)
    purpose = ssl.Purpose.CLIENT_AUTH if server_side else \
        ssl.Purpose.SERVER_AUTH
    ctx = ssl.create_default_context(purpose)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_COMPRESSION
    ciphers = opts.get("tls_ciphers_list")
    if ciphers:
        try:
            ctx.set_ciphers("%s:%s" % (ciphers, WEAK_CIPHERS))
        except ssl.SSLError as exc:
            raise TlsConfigError("tls_ciphers_list %r: %s" % (ciphers, exc))
    return ctx


def _load_chain(ctx, cert, key, required):
    if not cert or not os.path.exists(cert):
        if required:
            raise TlsConfigError("TLS certificate file %s not found" % cert)
        return False
    try:
        ctx.load_cert_chain(cert, key if key and os.path.exists(key) else None)
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError("cannot load TLS certificate %s / key %s: %s"
                             % (cert, key, exc))
    _remember_cert(ctx, cert)
    return True


def _remember_cert(ctx, cert):
    """Keep the DER of the certificate *ctx* presents (``$tls_my_*``).

    Read here, in the master before privileges are dropped, because the
    ``ssl`` module cannot give a context's certificate back later.
    """
    from openser_py.core.tls.x509 import pem_first_cert
    try:
        with open(cert, encoding="latin-1") as fh:
            ctx.openser_cert_der = pem_first_cert(fh.read())
    except OSError:
        ctx.openser_cert_der = None


def _load_ca(ctx, ca_list):
    try:
        ctx.load_verify_locations(cafile=ca_list)
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError("cannot load tls_ca_list %s: %s" % (ca_list, exc))


def server_context(opts):
    """The ``ssl.SSLContext`` for accepted connections with options *opts*."""
    ctx = _base_context(opts, True)
    _load_chain(ctx, opts.get("tls_certificate"),
                opts.get("tls_private_key"), required=True)
    ca_list = opts.get("tls_ca_list")
    if ca_list:
        _load_ca(ctx, ca_list)
    if opts.get("tls_require_client_certificate"):
        if not ca_list:
            raise TlsConfigError("tls_require_client_certificate needs "
                                 "tls_ca_list")
        ctx.verify_mode = ssl.CERT_REQUIRED
    elif _on(opts, "tls_verify_client") and ca_list:
        ctx.verify_mode = ssl.CERT_OPTIONAL
    else:
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def client_context(opts):
    """The ``ssl.SSLContext`` for outgoing connections with options *opts*."""
    ctx = _base_context(opts, False)
    ctx.check_hostname = False          # only the address is known here
    if _on(opts, "tls_verify_server"):
        ctx.verify_mode = ssl.CERT_REQUIRED
        if opts.get("tls_ca_list"):
            _load_ca(ctx, opts["tls_ca_list"])
    else:
        ctx.verify_mode = ssl.CERT_NONE
    _load_chain(ctx, opts.get("tls_certificate"),
                opts.get("tls_private_key"), required=False)
    return ctx


def _addr_key(ip, port):
    return (str(ip).strip("[]").lower(), int(port))


class TlsContexts:
    """Server and client contexts, default and per ``tls_*_domain``."""

    def __init__(self, server, client, handshake_timeout, send_timeout):
        self.server = server
        self.client = client
        self.server_domains = {}      # (ip, port) -> SSLContext
        self.client_domains = {}      # (ip, port) -> SSLContext
        self.handshake_timeout = handshake_timeout
        self.send_timeout = send_timeout

    def server_ctx(self, ip, port):
        """Context for a connection accepted on ``ip:port``."""
        return self.server_domains.get(_addr_key(ip, port), self.server)

    def client_ctx(self, ip, port):
        """Context for a connection to ``ip:port``."""
        return self.client_domains.get(_addr_key(ip, port), self.client)


def _default_cert(cfg_dir):
    return os.path.join(cfg_dir or ".", "tls", "cert.pem")


def tls_init(params, domains=(), cfg_dir=None):
    """Build every context from the core parameters (master, before fork).

    Args:
        params: core parameters (dict or attribute object).
        domains: ``TlsDomain(kind, target, params)`` blocks
            (``params["tls_domains"]`` from coreparams).
        cfg_dir: directory of the config file (1.3's ``CFG_DIR``) for the
            default ``tls/cert.pem``.

    Raises TlsConfigError when TLS is unavailable or a file or value is bad.
    """
    if ssl is None:
        raise TlsConfigError("this Python has no ssl module: no TLS")
    names = ("tls_method", "tls_certificate", "tls_private_key",
             "tls_ca_list", "tls_ciphers_list", "tls_verify_client",
             "tls_verify_server", "tls_require_client_certificate")
    base = {n: _get(params, n) for n in names}
    if not base["tls_certificate"]:
        base["tls_certificate"] = _default_cert(cfg_dir)
    if not base["tls_private_key"]:
        base["tls_private_key"] = base["tls_certificate"]
    ctxs = TlsContexts(server_context(base), client_context(base),
                       float(_get(params, "tls_handshake_timeout",
                                  DEFAULT_HANDSHAKE_TIMEOUT)),
                       float(_get(params, "tls_send_timeout",
                                  DEFAULT_SEND_TIMEOUT)))
    for dom in domains or ():
        target = dom.target
        if isinstance(target, str) or getattr(target, "port", None) is None:
            LM_WARN("%s[%s]: domains by name (tls_client_domain_avp) are not "
                    "supported: block ignored", dom.kind, target)
            continue
        opts = _merge(base, dom.params)
        if dom.params.get("tls_certificate") and \
                not dom.params.get("tls_private_key"):
            opts["tls_private_key"] = dom.params["tls_certificate"]
        key = _addr_key(target.host, target.port)
        if dom.kind == "tls_server_domain":
            ctxs.server_domains[key] = server_context(opts)
        else:
            ctxs.client_domains[key] = client_context(opts)
        LM_INFO("TLS: %s %s:%d configured", dom.kind, key[0], key[1])
    return ctxs
