"""Getters of the tlsops pseudo-variables and ``is_peer_verified()``.

Everything is read from ``msg.rcv.tls``, the dict TCP main computed when
the connection's handshake completed (:mod:`openser_py.core.tls.certinfo`
describes its keys); a message that did not come over TLS has none, and
its tlsops PVs are ``$null`` (1.3 logged "transport protocol is not TLS"
and returned null too).  A TLS connection without a peer certificate gives
``$null`` for the ``$tls_peer_*`` fields and 0 for the checks.
"""
from openser_py.core.dprint import LM_DBG
from openser_py.core.pvar import IntStr

_ONE, _ZERO = IntStr("1", 1), IntStr("0", 0)

# 1.3's component names -> short attribute names kept by certinfo
COMPONENTS = (("cn", "CN", "commonName"), ("locality", "L", "localityName"),
              ("country", "C", "countryName"),
              ("state", "ST", "stateOrProvinceName"),
              ("organization", "O", "organizationName"),
              ("unit", "OU", "organizationalUnitName"))
# $tls_*_san_<name> -> certinfo's subjectAltName kind
SAN_KINDS = (("email", "email", "the e-mail address (rfc822Name)"),
             ("hostname", "host", "the host name (dNSName)"),
             ("uri", "uri", "the URI (uniformResourceIdentifier)"),
             ("ip", "ip", "the IP address (iPAddress), as $si prints it"))
CHECKS = (("verified", "ok"), ("revoked", "rev"), ("expired", "exp"),
          ("selfsigned", "ss"))


def tls_info(msg):
    """The TLS details of the connection *msg* came on, or None."""
    info = getattr(getattr(msg, "rcv", None), "tls", None)
    if info is None:
        LM_DBG("tlsops: message not received over TLS")
    return info


def _cert(msg, which):
    info = tls_info(msg)
    return info.get(which) if info is not None else None


# -- session -----------------------------------------------------------------
def pv_version(msg, param=None):
    """``$tls_version``: ``TLSv1.2``, ``TLSv1.3``."""
    info = tls_info(msg)
    return info["v"] if info is not None else None


def pv_description(msg, param=None):
    """``$tls_description``: OpenSSL's description of the cipher."""
    info = tls_info(msg)
    return info["d"] if info is not None else None


def pv_cipher(msg, param=None):
    """``$tls_cipher_info``: the cipher's name."""
    info = tls_info(msg)
    return info["c"] if info is not None else None


def pv_bits(msg, param=None):
    """``$tls_cipher_bits``: the cipher's secret bits (string and int)."""
    info = tls_info(msg)
    return IntStr(str(info["b"]), info["b"]) if info is not None else None


# -- certificates ------------------------------------------------------------
def cert_version(which):
    """Getter of ``$tls_<which>_version`` (1.3: ``X509_get_version``, so
    "2" for a v3 certificate)."""
    def get(msg, param=None):
        cert = _cert(msg, which)
        return str(cert["ver"]) if cert is not None else None
    return get


def cert_serial(which):
    """Getter of ``$tls_<which>_serial`` (decimal; string and int)."""
    def get(msg, param=None):
        cert = _cert(msg, which)
        return IntStr(str(cert["sn"]), cert["sn"]) if cert is not None \
            else None
    return get


def cert_name(which, part):
    """Getter of ``$tls_<which>_<subject|issuer>`` (X509_NAME_oneline)."""
    key = "s" if part == "subject" else "i"

    def get(msg, param=None):
        cert = _cert(msg, which)
        return cert[key] if cert is not None else None
    return get


def cert_component(which, part, short):
    """Getter of ``$tls_<which>_<part>_<component>``: the first such
    attribute of the name, UTF-8; $null when the name has none."""
    key = "sa" if part == "subject" else "ia"

    def get(msg, param=None):
        cert = _cert(msg, which)
        return cert[key].get(short) if cert is not None else None
    return get


def cert_san(which, kind):
    """Getter of ``$tls_<which>_san_<kind>``: the first subject alternative
    name of that kind; $null when there is none."""
    def get(msg, param=None):
        cert = _cert(msg, which)
        return cert["san"].get(kind) if cert is not None else None
    return get


def peer_check(key):
    """Getter of ``$tls_peer_<verified|revoked|expired|selfsigned>``: 1 or
    0 (string and int) on a TLS connection, $null on others."""
    def get(msg, param=None):
        info = tls_info(msg)
        if info is None:
            return None
        return _ONE if info.get(key) else _ZERO
    return get


def peer_validity(key):
    """Getter of ``$tls_peer_<notBefore|notAfter>`` (ASN1_TIME_print)."""
    def get(msg, param=None):
        cert = _cert(msg, "peer")
        return cert[key] if cert is not None else None
    return get


# -- functions ---------------------------------------------------------------
def is_peer_verified(msg):
    """``is_peer_verified()``: 1 if *msg* came over TLS from a peer whose
    certificate was verified during the handshake, else -1."""
    info = tls_info(msg)
    if info is None:
        return -1
    if not info.get("ok"):            # no certificate, or not verified
        LM_DBG("tlsops: peer certificate absent or not verified")
        return -1
    return 1
