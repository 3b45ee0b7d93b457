"""Max-Forwards processing (OpenSER ``modules/maxfwd/mf_funcs.c``, ``maxfwd.c``).

Typed functions:

* :func:`process_maxfwd_header` ``(msg, limit) -> int`` (script
  ``mf_process_maxfwd_header``): 2 = the header was absent and
  ``Max-Forwards: <limit>`` was added; 1 = present and decremented (a value
  above ``max_limit`` is first lowered to ``max_limit + 1``, so the result
  is at most ``max_limit``); -1 = present with value 0 (nothing changed);
  -2 = malformed value.
* :func:`is_maxfwd_lt` ``(msg, limit) -> int``: 1 when the value is below
  *limit*, -1 when it is not, -2 when there is no header, -3 on a malformed
  value.
* :func:`is_maxfwd_present` ``(msg) -> int``: the value, -1 absent, -2
  malformed.

Message changes are lumps; ``msg.buf`` is never touched:

* decrement: one lump replaces exactly the value's bytes with the new
  number right-aligned in the same width (``70`` -> ``69``, ``10`` ->
  ``" 9"``), as OpenSER rewrites the value in place -- every other byte of
  the message, and its length, stay the same;
* add: ``Max-Forwards: <n>\\r\\n`` is inserted before the first header field
  (right after the request line), where OpenSER anchors it.

The value the message will carry is remembered in ``msg.ctx`` so that
``is_maxfwd_lt`` sees a locally added or decremented value.  Calling
``mf_process_maxfwd_header`` again for the same message recomputes from the
received value and rewrites the same lump (it never decrements twice or
adds two headers).

Values follow OpenSER's ``str2s``: 1 to 5 decimal digits; anything else
(signs, letters, an empty value, more than 65535) is malformed.
"""
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.errors import E_CFG
from openser_py.core.exports import FixupError
from openser_py.parser import data_lump
from openser_py.parser.hf import HdrType

MF_HDR = "Max-Forwards: "
MAXFWD_UPPER_LIMIT = 256
_CTX_KEY = "maxfwd"
_HDR_MAXFWD = HdrType.MAXFORWARDS

# is_maxfwd_present results
MF_ABSENT = -1
MF_ERROR = -2


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``maxfwd`` module (attribute = default)."""
    max_limit = MAXFWD_UPPER_LIMIT


class _MfState:
    """What maxfwd did to one message (kept in ``msg.ctx``)."""

    __slots__ = ("value", "lump")

    def __init__(self):
        self.value = None     # value the message carries now, None = as received
        self.lump = None      # the one lump we own on this message


def str2s(text):
    """OpenSER's ``str2s``: 1..5 decimal digits -> int <= 65535, else None."""
    if not text or len(text) > 5 or not text.isdigit() or not text.isascii():
        return None
    value = int(text)
    return value if value <= 0xFFFF else None


def _received(msg):
    """``(span, value)`` of the received header: ``span`` is its
    ``(body_start, body)`` or None; value -1 absent, -2 bad."""
    off = msg.hdr_offsets(_HDR_MAXFWD)      # no HdrField needed
    if off is None:
        return None, MF_ABSENT
    body = off[3]
    value = str2s(body)
    if value is None:
        LM_ERR("unable to parse the max forwards number %r", body)
        return off[2:], MF_ERROR
    return off[2:], value


def _state(msg, create=False):
    st = msg.ctx.get(_CTX_KEY)
    if st is None and create:
        st = msg.ctx[_CTX_KEY] = _MfState()
    return st


def is_maxfwd_present(msg):
    """Value the message carries now (after our changes); -1 / -2."""
    st = _state(msg)
    if st is not None and st.value is not None:
        return st.value
    return _received(msg)[1]


def add_maxfwd_header(msg, value):
    """Add ``Max-Forwards: <value>`` before the first header; returns 0."""
    text = "%s%d\r\n" % (MF_HDR, value)
    st = _state(msg, create=True)
    if st.lump is not None:
        st.lump.before[:] = [text]
    else:
        pos = msg.headers_start
        if pos is None:
            pos = data_lump.headers_end(msg)
        st.lump = data_lump.insert_before(msg, pos, text)
    st.value = value
    return 0


def decrement_maxfwd(msg, hf, value):
    """Write ``value - 1`` over the value of *hf*; returns 0."""
    return _decrement(msg, hf.body_start, len(hf.body), value)


def _decrement(msg, start, width, value):
    """Write ``value - 1`` right-aligned over ``msg.buf[start:start +
    width]`` (the received value); returns 0."""
    value -= 1
    text = str(value).rjust(width)
    st = _state(msg, create=True)
    if st.lump is not None:
        st.lump.after[:] = [text]
    else:
        st.lump = data_lump.delete(msg, start, start + width).insert_after(text)
    st.value = value
    return 0


def process_maxfwd_header(msg, limit):
    """``mf_process_maxfwd_header``: see the module docstring (2/1/-1/-2).

    Runs for every request: :func:`_state`, :func:`_received`,
    :func:`str2s` and :func:`_decrement` are written out here.
    """
    ctx = msg.ctx
    st = ctx.get(_CTX_KEY)
    if st is not None and st.lump is not None and st.lump.length == 0:
        add_maxfwd_header(msg, limit)     # called again: rewrite our header
        return 2
    off = msg.hdr_offsets(_HDR_MAXFWD)      # no HdrField needed
    if off is None:
        add_maxfwd_header(msg, limit)
        return 2
    body = off[3]
    if not (0 < len(body) <= 5 and body.isdigit() and body.isascii()) \
            or int(body) > 0xFFFF:                  # str2s() is None
        LM_ERR("unable to parse the max forwards number %r", body)
        return -2
    value = int(body)
    if value == 0:
        return -1
    max_limit = cfg.max_limit
    if value > max_limit:
        LM_DBG("value %d decreased to %d", value, max_limit)
        value = max_limit + 1
    value -= 1
    width = len(body)
    text = str(value).rjust(width)
    if st is None:
        st = ctx[_CTX_KEY] = _MfState()
    if st.lump is not None:
        st.lump.after[:] = [text]
    else:
        start = off[2]
        st.lump = data_lump.delete(msg, start, start + width) \
            .insert_after(text)
    st.value = value
    return 1


def is_maxfwd_lt(msg, limit):
    """1 if Max-Forwards < *limit*, -1 if not, -2 absent, -3 malformed."""
    value = is_maxfwd_present(msg)
    LM_DBG("value = %d", value)
    if value < 0:
        return value - 1
    if value >= limit:
        return -1
    return 1


# -- script interface ------------------------------------------------------

def fixup_maxfwd_header(value, param_no):
    """The limit: a number 1..256, not above the ``max_limit`` modparam."""
    number = str2s(value.strip() if isinstance(value, str) else str(value))
    if number is None:
        raise FixupError("bad number %r" % (value,))
    if not 1 <= number <= MAXFWD_UPPER_LIMIT:
        raise FixupError("invalid MAXFWD number %d [1,%d]"
                         % (number, MAXFWD_UPPER_LIMIT))
    if number > cfg.max_limit:
        raise FixupError("default value %d bigger than max limit (%d)"
                         % (number, cfg.max_limit))
    return number


def w_process_maxfwd_header(msg, limit):
    """``mf_process_maxfwd_header("N")``."""
    if not msg.is_request:
        return -2
    return process_maxfwd_header(msg, limit)


def w_is_maxfwd_lt(msg, limit):
    """``is_maxfwd_lt("N")``."""
    if not msg.is_request:
        return -3
    return is_maxfwd_lt(msg, limit)


def mod_init():
    """Reject a ``max_limit`` outside 1..256."""
    if not isinstance(cfg.max_limit, int) \
            or not 1 <= cfg.max_limit <= MAXFWD_UPPER_LIMIT:
        LM_ERR("invalid max limit (%r) [1,%d]", cfg.max_limit,
               MAXFWD_UPPER_LIMIT)
        return E_CFG
    return 0
