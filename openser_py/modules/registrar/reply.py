"""registrar's replies (OpenSER ``reply.c``; reference 6.2, 17.3).

A 200 OK lists every valid binding of the AOR in one ``Contact:`` header
(RFC 3261 10.3 step 8)::

    Contact: <sip:a@1.2.3.4>;q=0.5;expires=3599;received="sip:5.6.7.8:5060", <...>;expires=120

``q`` only when the contact has one; ``expires`` = remaining seconds.
Errors carry ``P-Registrar-Error: <text>``; 5xx replies ``Retry-After``
when ``retry_after`` is set.  The reply itself is sent statelessly through
the sl API, so it gets sl's To-tag and counts in sl's statistics.
"""
from openser_py.core.dset import q2str
from openser_py.core.dprint import LM_ERR
from openser_py.modules.registrar.reg_mod import (PATH_MODE_OFF,
                                                  PATH_MODE_STRICT, cfg,
                                                  state)
from openser_py.modules.registrar.rerrno import (CODES, R_FINE,
                                                 R_PATH_UNSUP, REASONS, TEXTS)
from openser_py.parser.data_lump import add_rpl_lump

__all__ = ["build_contact", "send_reply"]


def build_contact(contacts, now, received_param="received"):
    """The ``Contact:`` line for *contacts* (valid ones), or "" if none."""
    if not contacts:
        return ""
    parts = []
    for c in contacts:
        text = "<%s>" % c.c
        if c.q != -1:
            text += ";q=%s" % q2str(c.q)
        text += ";expires=%d" % (max(0, c.expires - now) if c.expires else 0)
        if c.received:
            text += ';%s="%s"' % (received_param, c.received)
        parts.append(text)
    return "Contact: " + ", ".join(parts) + "\r\n"


def send_reply(msg, rerrno, contact_hdr="", path_vec=""):
    """Reply to the REGISTER for *rerrno*; return the rerrno finally used.

    Path (RFC 3327 5.3): with ``use_path`` and a non-empty path vector the
    ``Path`` is echoed when the UAC supports ``path``; ``path_mode`` 2
    (strict) answers ``420`` with ``Unsupported: path`` otherwise.
    """
    if contact_hdr:
        add_rpl_lump(msg, contact_hdr)
    if rerrno == R_FINE and cfg.use_path and path_vec and \
            cfg.path_mode != PATH_MODE_OFF:
        try:
            supported = "path" in [t.lower() for t in msg.supported]
        except Exception:  # noqa: BLE001 - a bad Supported header
            supported = False
        if not supported and cfg.path_mode == PATH_MODE_STRICT:
            rerrno = R_PATH_UNSUP
            add_rpl_lump(msg, "Unsupported: path\r\n")
            add_rpl_lump(msg, "Path: %s\r\n" % path_vec)
        elif supported:
            add_rpl_lump(msg, "Path: %s\r\n" % path_vec)
    code = CODES[rerrno]
    reason = REASONS.get(code, "OK")
    if code != 200:
        add_rpl_lump(msg, "P-Registrar-Error: %s\r\n" % TEXTS[rerrno])
    if 500 <= code < 600 and cfg.retry_after:
        add_rpl_lump(msg, "Retry-After: %d\r\n" % cfg.retry_after)
    if state.sl.reply(msg, code, reason) < 0:
        LM_ERR("registrar: failed to send the %d reply", code)
    return rerrno
