"""The tlsops module: TLS connection and certificate details in the script.

OpenSER 1.3's tlsops exports ``is_peer_verified()`` and pseudo-variables
describing the TLS connection the message being processed came on: the
session (``$tls_version``, ``$tls_cipher_info``...), the peer's and our own
certificate (``$tls_peer_subject_cn``, ``$tls_my_serial``...), and the
peer certificate's checks (``$tls_peer_verified``...).

Here the ``ssl`` objects live in TCP main, so TCP main computes all of it
once per connection when the handshake completes
(:mod:`openser_py.core.tls.certinfo`) and hands it to the worker with the
connection; the getters (:mod:`.tls_select`) only read ``msg.rcv.tls``.
Messages not received over TLS get ``$null`` and ``is_peer_verified()``
returns -1.  Differences from 1.3 are listed in ``doc/dev/tls.md``.

Pseudo-variables (all read-only; ``$null`` when the message did not come
over TLS, or when the certificate or the field is absent):

``$tls_version`` (``TLSv1.3``), ``$tls_description`` (OpenSSL's cipher
description), ``$tls_cipher_info`` (cipher name), ``$tls_cipher_bits``
(string and integer);

``$tls_[peer|my]_version`` (1.3's ``X509_get_version``: "2" for v3),
``$tls_[peer|my]_serial`` (decimal, string and integer);

``$tls_[peer|my]_[subject|issuer]`` (``/C=AT/O=enum.at/CN=enum.at``),
and the first ``_cn``, ``_locality``, ``_country``, ``_state``,
``_organization``, ``_unit`` of that name;

``$tls_[peer|my]_san_[email|hostname|uri|ip]``: the first subject
alternative name of that kind;

``$tls_peer_[verified|revoked|expired|selfsigned]``: 1 or 0;

``$tls_peer_notBefore``, ``$tls_peer_notAfter``
(``Nov 27 15:21:17 2026 GMT``).
"""
from openser_py.core.exports import (REQUEST_ROUTE, CmdExport,
                                     ModuleExports, PvExport)
from openser_py.modules.tlsops import tls_select as S

_WHO = (("peer", "the peer's certificate"),
        ("my", "our own certificate (the one this connection's context "
         "presents)"))


def _pv_items():
    items = [
        PvExport("tls_version", S.pv_version,
                 doc="The TLS version of the connection the message came "
                 "on (TLSv1.2, TLSv1.3); $null if it did not come over "
                 "TLS (as every tlsops variable)."),
        PvExport("tls_description", S.pv_description,
                 doc="OpenSSL's description of the connection's cipher "
                 "(SSL_CIPHER_description, without its trailing newline)."),
        PvExport("tls_cipher_info", S.pv_cipher,
                 doc="The name of the connection's cipher."),
        PvExport("tls_cipher_bits", S.pv_bits,
                 doc="The secret bits of the connection's cipher "
                 "(string and integer)."),
    ]
    for who, what in _WHO:
        items += [
            PvExport("tls_%s_version" % who, S.cert_version(who),
                     doc="The version field of %s as 1.3 gave it "
                     "(X509_get_version: \"2\" for a v3 certificate); "
                     "$null without a certificate." % what),
            PvExport("tls_%s_serial" % who, S.cert_serial(who),
                     doc="The serial number of %s in decimal (string and "
                     "integer; the whole number, where 1.3 cut it to a C "
                     "int)." % what),
        ]
    for who, what in _WHO:
        for part in ("subject", "issuer"):
            items.append(PvExport(
                "tls_%s_%s" % (who, part), S.cert_name(who, part),
                doc="The %s name of %s as one line, as OpenSSL's "
                "X509_NAME_oneline prints it (/C=AT/O=enum.at/CN=enum.at)."
                % (part, what)))
    for comp, short, long_name in S.COMPONENTS:
        for who, what in _WHO:
            for part in ("subject", "issuer"):
                items.append(PvExport(
                    "tls_%s_%s_%s" % (who, part, comp),
                    S.cert_component(who, part, short),
                    doc="The %s (%s) of the %s name of %s, UTF-8; $null if "
                    "the name has none." % (long_name, short, part, what)))
    for name, kind, what_san in S.SAN_KINDS:
        for who, what in _WHO:
            items.append(PvExport(
                "tls_%s_san_%s" % (who, name), S.cert_san(who, kind),
                doc="From the subject alternative names of %s: %s (the "
                "first one); $null if it has none." % (what, what_san)))
    check_docs = {
        "verified": "1 if the peer presented a certificate and it was "
        "verified during the handshake, else 0.",
        "revoked": "1 if the peer's certificate is revoked; always 0 here "
        "(no CRLs are loaded).",
        "expired": "1 if the peer's certificate was not verified "
        "(verification off) and its notAfter had passed at the handshake, "
        "else 0.",
        "selfsigned": "1 if the peer's certificate was not verified "
        "(verification off) and is self-signed (subject = issuer), else 0.",
    }
    for name, key in S.CHECKS:
        items.append(PvExport("tls_peer_%s" % name, S.peer_check(key),
                              doc=check_docs[name] +
                              " String and integer; $null if the message "
                              "did not come over TLS."))
    items += [
        PvExport("tls_peer_notBefore", S.peer_validity("nb"),
                 doc="Start of the peer certificate's validity, as "
                 "ASN1_TIME_print writes it (Nov 27 15:21:17 2026 GMT)."),
        PvExport("tls_peer_notAfter", S.peer_validity("na"),
                 doc="End of the peer certificate's validity (same format)."),
    ]
    return tuple(items)


exports = ModuleExports(
    name="tlsops",
    cmds=(
        CmdExport("is_peer_verified", S.is_peer_verified, 0, None, None,
                  REQUEST_ROUTE,
                  doc="Return 1 if the message was received over TLS and "
                  "the peer presented a certificate that was verified "
                  "during the handshake, otherwise -1."),
    ),
    items=_pv_items(),
)
