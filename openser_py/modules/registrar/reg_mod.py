"""registrar's parameters, statistics, fixups and start-up (``reg_mod.c``)."""
from openser_py.core import statistics
from openser_py.core.dprint import LM_ERR
from openser_py.core.exports import FixupError

__all__ = ["cfg", "ul", "sl", "mod_init", "fixup_domain", "fixup_flags",
           "stat"]

PATH_MODE_OFF, PATH_MODE_LAZY, PATH_MODE_STRICT = 0, 1, 2


class cfg:
    """registrar's modparam values (OpenSER 1.3 defaults)."""
    default_expires = 3600
    default_q = -1
    append_branches = 1
    case_sensitive = 0
    desc_time_order = 0
    min_expires = 60
    max_expires = 0
    max_contacts = 0
    retry_after = 0
    realm_prefix = ""
    received_param = "received"
    received_avp = ""
    aor_avp = ""
    tcp_persistent_flag = -1
    sock_flag = -1
    sock_hdr_name = ""
    method_filtering = 0
    use_path = 0
    path_mode = PATH_MODE_STRICT
    path_use_received = 0


class _State:
    ul = None           # the usrloc API
    sl = None           # the sl API
    rcv_avp = None      # PvSpec of received_avp
    aor_avp = None      # PvSpec of aor_avp
    stats = {}          # name -> StatVar, filled on first use (save.py)


state = _State()


def stat(name):
    """The registrar statistic *name* (accepted_regs, rejected_regs...)."""
    return statistics.get_stat(name, "registrar")


def _bind():
    from openser_py.sr_module import load_module_api
    if state.ul is None:
        state.ul = load_module_api("usrloc")
    if state.sl is None:
        state.sl = load_module_api("sl")
    return state.ul


def mod_init():
    """Bind usrloc and sl, parse the AVP parameters."""
    from openser_py.core.pvar import PvError, parse_pv_spec
    state.ul = state.sl = state.rcv_avp = state.aor_avp = None
    state.stats = {}
    _bind()
    if state.ul is None:
        LM_ERR("registrar: the usrloc module is not loaded "
               "(loadmodule \"usrloc.so\" before registrar)")
        return -1
    if state.sl is None:
        LM_ERR("registrar: the sl module is not loaded")
        return -1
    for name in ("received_avp", "aor_avp"):
        text = getattr(cfg, name)
        if text:
            try:
                spec = parse_pv_spec(text)
            except PvError as exc:
                LM_ERR("registrar: bad %s %r: %s", name, text, exc)
                return -1
            setattr(state, "rcv_avp" if name == "received_avp"
                    else "aor_avp", spec)
    if cfg.path_mode not in (0, 1, 2):
        LM_ERR("registrar: invalid path_mode %r", cfg.path_mode)
        return -1
    return 0


def fixup_domain(value, param_no):
    """Table name -> the usrloc domain (``register_udomain``); flags -> int."""
    if param_no == 2:
        return fixup_flags(value)
    ul = _bind()
    if ul is None:
        raise FixupError("usrloc module not loaded")
    try:
        return ul.register_udomain(str(value))
    except ul.UlError as exc:
        raise FixupError("cannot register usrloc domain %s: %s"
                         % (value, exc)) from exc


def fixup_flags(value):
    """``save()`` flags: decimal or 0x-hex."""
    text = str(value).strip()
    try:
        return int(text[2:], 16) if text.lower().startswith("0x") \
            else int(text)
    except ValueError:
        raise FixupError("bad save() flags %r" % value) from None


def fixup_hdr_name(value, param_no):
    """``add_sock_hdr`` header name: non-empty token."""
    text = str(value).strip()
    if not text or any(ch in text for ch in " \t:\r\n"):
        raise FixupError("bad header name %r" % value)
    return text
