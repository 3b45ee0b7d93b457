"""What the ``tlsops`` pseudo-variables show, computed once per connection.

TCP main owns every ``ssl`` object (``doc/dev/tls.md``), so the workers that
run the script cannot ask OpenSSL about a connection the way 1.3's tlsops
did.  Instead, when a handshake completes, TCP main calls
:func:`session_info` and keeps the result on the connection's pump; it
travels to the worker in the ``read`` header with the descriptor
(``tcp_main._hand``), the worker puts it on the message's receive info
(``msg.rcv.tls``) and the tlsops getters only read it.  A non-TLS
connection has none, so plain TCP and UDP messages pay nothing.

The dict is small and JSON-able (it rides the TCP IPC header, which is
JSON): keys

* ``v`` protocol version (``SSL_get_version``: ``TLSv1.3``), ``c`` cipher
  name, ``b`` secret bits, ``d`` ``SSL_CIPHER_description`` (trailing
  newline removed);
* ``peer`` / ``my``: the certificates' fields (:func:`cert_summary`), or
  absent;
* ``ok`` the peer certificate was verified, ``exp``/``ss``/``rev`` the
  peer certificate is expired/self-signed/revoked (see :func:`checks`).

Its encoded size is kept under :data:`MAX_INFO` bytes (long names are cut)
so it always fits the IPC header.
"""
import json
import time

from openser_py.core.tls.x509 import CertError, parse_cert

__all__ = ["MAX_INFO", "cert_summary", "session_info", "local_cert_info"]

MAX_INFO = 4096                 # bytes of JSON at most (IPC header room)
_ATTRS = ("CN", "L", "C", "ST", "O", "OU")


def cert_summary(fields):
    """The compact form of :func:`~.x509.parse_cert` output."""
    def first(attrs):
        out = {}
        for short, text in attrs:
            if short in _ATTRS and short not in out:
                out[short] = text
        return out
    return {"ver": fields["version"], "sn": fields["serial"],
            "s": fields["subject"], "i": fields["issuer"],
            "sa": first(fields["subject_attrs"]),
            "ia": first(fields["issuer_attrs"]),
            "san": fields["san"],
            "nb": fields["not_before"], "na": fields["not_after"]}


def local_cert_info(ctx):
    """Summary of the certificate *ctx* presents (cached on the context).

    ``config._load_chain`` stores the DER of that certificate as
    ``ctx.openser_cert_der`` when it loads the file (in the master, before
    privileges are dropped); a context without one has no local
    certificate (an outgoing context without ``tls_certificate``).
    """
    cached = getattr(ctx, "openser_cert_info", False)
    if cached is not False:
        return cached
    der = getattr(ctx, "openser_cert_der", None)
    info = None
    if der:
        try:
            info = cert_summary(parse_cert(der))
        except CertError:
            info = None
    try:
        ctx.openser_cert_info = info
    except AttributeError:
        pass
    return info


def _description(ctx, name):
    table = getattr(ctx, "openser_cipher_desc", None)
    if table is None:
        table = {c["name"]: (c.get("description") or "").strip()
                 for c in ctx.get_ciphers()}
        try:
            ctx.openser_cipher_desc = table
        except AttributeError:
            pass
    return table.get(name, "")


def checks(fields, verified, now):
    """``(ok, exp, ss, rev)`` for a peer certificate's parsed *fields*.

    The ``ssl`` module does not expose OpenSSL's verify result
    (``SSL_get_verify_result``, which 1.3 compared with ``X509_V_OK``,
    ``X509_V_ERR_CERT_HAS_EXPIRED``...), so: a certificate received on a
    connection whose context verifies peers (``CERT_OPTIONAL`` or
    ``CERT_REQUIRED``) was verified -- otherwise the handshake would have
    failed; on a connection that does not verify (``tls_verify_server=0``)
    it is reported self-signed when its subject equals its issuer, else
    expired when its notAfter is past.  Revocation is never checked
    (no CRLs are loaded), so ``rev`` is 0.
    """
    if verified:
        return 1, 0, 0, 0
    if fields is None:
        return 0, 0, 0, 0
    if fields["self_issued"]:
        return 0, 0, 1, 0
    return 0, int(now > fields["not_after_ts"]), 0, 0


def _shrink(info):
    """Cut long strings until the JSON form is at most MAX_INFO bytes."""
    for limit in (256, 64, 16):
        if len(json.dumps(info, separators=(",", ":"))) <= MAX_INFO:
            return info
        for cert in (info.get("peer"), info.get("my")):
            if not cert:
                continue
            for key in ("s", "i"):
                cert[key] = cert[key][:limit]
            for group in ("sa", "ia", "san"):
                cert[group] = {k: v[:limit] for k, v in cert[group].items()}
    return info


def session_info(obj, now=None):
    """The tlsops dict of established ``ssl.SSLObject`` *obj* (TCP main).

    Never raises for a certificate it cannot read: that certificate is
    left out (its PVs are ``$null``).
    """
    import ssl
    ctx = obj.context
    cipher = obj.cipher() or ("", "", 0)
    info = {"v": obj.version() or "", "c": cipher[0] or "",
            "b": int(cipher[2] or 0), "d": _description(ctx, cipher[0])}
    fields = None
    der = obj.getpeercert(binary_form=True)
    if der:
        try:
            fields = parse_cert(der)
        except CertError:
            fields = None
    verified = der is not None and ctx.verify_mode != ssl.CERT_NONE
    ok, exp, ss, rev = checks(fields, verified,
                              time.time() if now is None else now)
    info.update(ok=ok, exp=exp, ss=ss, rev=rev)
    if fields is not None:
        info["peer"] = cert_summary(fields)
    mine = local_cert_info(ctx)
    if mine is not None:
        info["my"] = {k: (dict(v) if isinstance(v, dict) else v)
                      for k, v in mine.items()}
    return _shrink(info)
