"""A minimal DER reader for the X.509 fields the ``tlsops`` module shows.

The ``ssl`` module decodes a peer certificate into a dict only when it was
verified (``getpeercert()``), and never gives our own certificate back, so
TCP main reads the DER bytes (``getpeercert(binary_form=True)``, and the
certificate file read at start-up) with this reader instead: version,
serial number, issuer and subject names, validity and the subject
alternative names (RFC 5280 §4.1, §4.2.1.6).  Nothing is verified here --
the handshake did that -- and anything not understood raises
:class:`CertError`.

Names are given as OpenSSL 1.x/3.x ``X509_NAME_oneline`` prints them
(``/C=AT/O=enum.at/CN=enum.at``: short attribute names, bytes outside
printable ASCII as ``\\xHH``), and validity dates as ``ASN1_TIME_print``
does (``Nov 27 15:21:17 2026 GMT``), which are the formats OpenSER 1.3's
tlsops returned.
"""
import calendar
import ipaddress

__all__ = ["CertError", "parse_cert", "pem_first_cert"]

# universal tags
_INTEGER, _OCTETS, _OID, _SEQ, _SET = 0x02, 0x04, 0x06, 0x30, 0x31
_UTCTIME, _GENTIME = 0x17, 0x18
# context tags in TBSCertificate / GeneralName
_VERSION, _EXTENSIONS = 0xA0, 0xA3
_SAN_KINDS = {0x81: "email", 0x82: "host", 0x86: "uri", 0x87: "ip"}
_OID_SAN = "2.5.29.17"

# OpenSSL's short names of the usual name attributes (obj_dat.h)
SHORT_NAMES = {
    "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber",
    "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "street",
    "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "title",
    "2.5.4.13": "description", "2.5.4.15": "businessCategory",
    "2.5.4.17": "postalCode", "2.5.4.41": "name", "2.5.4.42": "GN",
    "2.5.4.43": "initials", "2.5.4.44": "generationQualifier",
    "2.5.4.46": "dnQualifier", "2.5.4.65": "pseudonym",
    "2.5.4.97": "organizationIdentifier",
    "1.2.840.113549.1.9.1": "emailAddress",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
}
# string types -> codec for the UTF-8 form (ASN1_STRING_to_UTF8)
_CODECS = {0x0C: "utf-8", 0x12: "latin-1", 0x13: "latin-1",
           0x14: "latin-1", 0x16: "latin-1", 0x1A: "latin-1",
           0x1E: "utf-16-be", 0x1C: "utf-32-be"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec")
MAX_TEXT = 1023                 # 1.3 printed into 1024-byte buffers


class CertError(ValueError):
    """The bytes are not a certificate this reader understands."""


def _tlv(data, pos, end):
    """``(tag, content start, content end)`` of the element at *pos*."""
    if pos + 2 > end:
        raise CertError("truncated DER element")
    tag, n = data[pos], data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or pos + k > end:
            raise CertError("bad DER length")
        n = int.from_bytes(data[pos:pos + k], "big")
        pos += k
    if pos + n > end:
        raise CertError("DER element overruns its container")
    return tag, pos, pos + n


def _children(data, start, end):
    """Every ``(tag, start, end)`` inside a constructed element."""
    out = []
    pos = start
    while pos < end:
        tag, s, e = _tlv(data, pos, end)
        out.append((tag, s, e))
        pos = e
    return out


def _expect(item, tag, what):
    if item[0] != tag:
        raise CertError("%s: tag 0x%02x, expected 0x%02x"
                        % (what, item[0], tag))
    return item


def _oid(raw):
    if not raw:
        raise CertError("empty OID")
    first = raw[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for b in raw[1:]:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def _oneline_value(raw):
    """Value bytes as ``X509_NAME_oneline`` prints them."""
    return "".join(chr(b) if 0x20 <= b <= 0x7E else "\\x%02X" % b
                   for b in raw)


def _text(tag, raw):
    return raw.decode(_CODECS.get(tag, "latin-1"), "replace")


def _name(data, start, end):
    """``(oneline, [(short name, text), ...])`` of an X.501 Name."""
    pieces, attrs = [], []
    for rdn in _children(data, start, end):
        _expect(rdn, _SET, "name RDN")
        for atv in _children(data, rdn[1], rdn[2]):
            _expect(atv, _SEQ, "name attribute")
            kids = _children(data, atv[1], atv[2])
            if len(kids) < 2:
                raise CertError("name attribute without value")
            oid = _oid(data[kids[0][1]:kids[0][2]])
            tag, vs, ve = kids[1]
            short = SHORT_NAMES.get(oid, oid)
            pieces.append("/%s=%s" % (short, _oneline_value(data[vs:ve])))
            attrs.append((short, _text(tag, data[vs:ve])[:MAX_TEXT]))
    return "".join(pieces)[:MAX_TEXT], attrs


def _time(data, item):
    """``(ASN1_TIME_print text, POSIX time)`` of a UTCTime/GeneralizedTime."""
    tag, s, e = item
    text = data[s:e].decode("ascii", "replace").rstrip("Z")
    try:
        if tag == _UTCTIME:
            yy = int(text[0:2])
            year, rest = (1900 + yy if yy >= 50 else 2000 + yy), text[2:]
        elif tag == _GENTIME:
            year, rest = int(text[0:4]), text[4:]
        else:
            raise CertError("validity: not a time (tag 0x%02x)" % tag)
        mon, day, hh, mm = (int(rest[i:i + 2]) for i in (0, 2, 4, 6))
        ss = int(rest[8:10]) if len(rest) >= 10 else 0
        stamp = calendar.timegm((year, mon, day, hh, mm, ss, 0, 0, 0))
        return ("%s %2d %02d:%02d:%02d %d GMT"
                % (_MONTHS[mon - 1], day, hh, mm, ss, year), stamp)
    except (ValueError, IndexError):
        raise CertError("validity: bad time %r" % text) from None


def _san(data, ext_value):
    """First name of each kind in a subjectAltName extension value."""
    out = {}
    _, s, e = _expect(_tlv(data, ext_value[0], ext_value[1]), _SEQ,
                      "subjectAltName")
    for tag, gs, ge in _children(data, s, e):
        kind = _SAN_KINDS.get(tag)
        if kind is None or kind in out:
            continue
        raw = data[gs:ge]
        if kind == "ip":
            try:
                out[kind] = str(ipaddress.ip_address(raw))
            except ValueError:
                continue
        else:
            out[kind] = raw.decode("latin-1")[:MAX_TEXT]
    return out


def _extensions(data, item):
    """The subjectAltName names found in the ``[3]`` extensions block."""
    _, s, e = _expect(_tlv(data, item[1], item[2]), _SEQ, "extensions")
    for ext in _children(data, s, e):
        kids = _children(data, ext[1], ext[2])
        if len(kids) >= 2 and kids[0][0] == _OID and \
                _oid(data[kids[0][1]:kids[0][2]]) == _OID_SAN:
            value = _expect(kids[-1], _OCTETS, "extension value")
            return _san(data, (value[1], value[2]))
    return {}


def parse_cert(der):
    """The fields of DER certificate *der* as a dict.

    Keys: ``version`` (``X509_get_version``: 0-based, 2 for a v3
    certificate), ``serial`` (int), ``subject``/``issuer`` (oneline
    strings), ``subject_attrs``/``issuer_attrs`` (``[(short name, text)]``
    in certificate order), ``not_before``/``not_after`` (printed),
    ``not_before_ts``/``not_after_ts`` (POSIX seconds), ``san`` (``{"email",
    "host", "uri", "ip"}``: the first of each kind present) and
    ``self_issued`` (subject and issuer names are the same bytes).
    Raises :class:`CertError`.
    """
    data = bytes(der)
    _, s, e = _expect(_tlv(data, 0, len(data)), _SEQ, "certificate")
    _, ts, te = _expect(_tlv(data, s, e), _SEQ, "tbsCertificate")
    kids = _children(data, ts, te)
    version = 0
    if kids and kids[0][0] == _VERSION:
        _, vs, ve = _expect(_tlv(data, kids[0][1], kids[0][2]), _INTEGER,
                            "version")
        version = int.from_bytes(data[vs:ve], "big")
        kids = kids[1:]
    if len(kids) < 6:
        raise CertError("tbsCertificate: %d fields" % len(kids))
    serial_t, _sig, issuer_t, validity_t, subject_t = kids[:5]
    _expect(serial_t, _INTEGER, "serialNumber")
    issuer = _name(data, *_expect(issuer_t, _SEQ, "issuer")[1:])
    subject = _name(data, *_expect(subject_t, _SEQ, "subject")[1:])
    times = _children(data, *_expect(validity_t, _SEQ, "validity")[1:])
    if len(times) != 2:
        raise CertError("validity: %d times" % len(times))
    nb, na = _time(data, times[0]), _time(data, times[1])
    san = {}
    for item in kids[6:]:
        if item[0] == _EXTENSIONS:
            san = _extensions(data, item)
    return {
        "version": version,
        "serial": int.from_bytes(data[serial_t[1]:serial_t[2]], "big",
                                 signed=True),
        "subject": subject[0], "subject_attrs": subject[1],
        "issuer": issuer[0], "issuer_attrs": issuer[1],
        "not_before": nb[0], "not_before_ts": nb[1],
        "not_after": na[0], "not_after_ts": na[1],
        "san": san,
        "self_issued": data[subject_t[1]:subject_t[2]] ==
        data[issuer_t[1]:issuer_t[2]],
    }


def pem_first_cert(text):
    """DER bytes of the first ``CERTIFICATE`` block in PEM *text*, or None."""
    import ssl
    begin = text.find("-----BEGIN CERTIFICATE-----")
    if begin < 0:
        return None
    stop = text.find("-----END CERTIFICATE-----", begin)
    if stop < 0:
        return None
    block = text[begin:stop + len("-----END CERTIFICATE-----")]
    try:
        return ssl.PEM_cert_to_DER_cert(block)
    except ValueError:
        return None
