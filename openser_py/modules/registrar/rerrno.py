"""registrar's error numbers, reply codes and texts (OpenSER ``rerrno.h``,
``reply.c``; reference 6.2).

:class:`RegError` carries one of the ``R_*`` numbers; ``CODES`` and
``TEXTS`` give the reply code and the ``P-Registrar-Error`` text.
"""

__all__ = ["RegError", "CODES", "TEXTS", "REASONS"]

(R_FINE, R_UL_DEL_R, R_UL_GET_R, R_UL_NEW_R, R_INV_CSEQ, R_UL_INS_C,
 R_UL_INS_R, R_UL_DEL_C, R_UL_UPD_C, R_TO_USER, R_AOR_LEN, R_AOR_PARSE,
 R_INV_EXP, R_INV_Q, R_PARSE, R_TO_MISS, R_CID_MISS, R_CS_MISS,
 R_PARSE_EXP, R_PARSE_CONT, R_STAR_EXP, R_STAR_CONT, R_OOO, R_RETRANS,
 R_UNESCAPE, R_TOO_MANY, R_CONTACT_LEN, R_CALLID_LEN, R_PARSE_PATH,
 R_PATH_UNSUP) = range(30)

_TABLE = (
    (200, "No problem"),
    (500, "usrloc_record_delete failed"),
    (500, "usrloc_record_get failed"),
    (500, "usrloc_record_new failed"),
    (400, "Invalid CSeq number"),
    (500, "usrloc_contact_insert failed"),
    (500, "usrloc_record_insert failed"),
    (500, "usrloc_contact_delete failed"),
    (500, "usrloc_contact_update failed"),
    (400, "No username in To URI"),
    (500, "Address Of Record too long"),
    (400, "Error while parsing AOR"),
    (400, "Invalid expires param in contact"),
    (400, "Invalid q param in contact"),
    (400, "Message parse error"),
    (400, "To header not found"),
    (400, "Call-ID header not found"),
    (400, "CSeq header not found"),
    (400, "Expires parse error"),
    (400, "Contact parse error"),
    (400, "* used in contact and expires is not zero"),
    (400, "* used in contact and more than 1 contact"),
    (200, "Out of order request"),
    (200, "Retransmission"),
    (400, "Error while unescaping username"),
    (503, "Too many registered contacts"),
    (400, "Contact/received too long"),
    (400, "Callid too long"),
    (400, "Path parse error"),
    (420, "No support for found Path indicated"),
)
CODES = tuple(c for c, _ in _TABLE)
TEXTS = tuple(t for _, t in _TABLE)
REASONS = {200: "OK", 400: "Bad Request", 420: "Bad Extension",
           500: "Server Internal Error", 503: "Service Unavailable"}

__all__ += [n for n in dir() if n.startswith("R_")]


class RegError(Exception):
    """A REGISTER could not be processed; ``rerrno`` is an ``R_*`` number."""

    def __init__(self, rerrno, detail=""):
        super().__init__("%s%s" % (TEXTS[rerrno],
                                   " (%s)" % detail if detail else ""))
        self.rerrno = rerrno
