"""analog's logic: fixup, script function, init and destroy."""
import struct

from openser_py.core.statistics import get_stat
from openser_py.dprint import LEVEL_BY_NAME, LM_ERR, LM_INFO, LOG
from openser_py.mem.mem import pkg_free, pkg_malloc
from openser_py.mem.shm_mem import shm_buf, shm_free, shm_malloc
from openser_py.pvar import parse_pv_format
from openser_py.sr_module import FixupError


class cfg:
    """Module parameters (OpenSER: globals that param_export_t points at)."""
    wordlist = "analog"
    buffer_size = 1024


_words = []          # parsed wordlist (master, before fork: inherited)
_counter = 0         # shm offset of the shared rotation counter
_buf = None          # this process's pkg buffer
_U64 = struct.Struct("<Q")


def mod_init():
    """Check parameters, allocate the shared counter (master, before fork)."""
    global _counter
    LM_INFO("initializing analog (wordlist=%r, buffer_size=%d)",
            cfg.wordlist, cfg.buffer_size)
    if cfg.buffer_size <= 0:
        LM_ERR("buffer_size must be positive, not %d", cfg.buffer_size)
        return -1
    _words[:] = [w.strip() for w in cfg.wordlist.split(",") if w.strip()]
    if not _words:
        LM_ERR("wordlist is empty")
        return -1
    _counter = shm_malloc(_U64.size)
    if not _counter:
        LM_ERR("out of shared memory")
        return -1
    _U64.pack_into(shm_buf(_counter, _U64.size), 0, 0)
    return 0


def child_init(rank):
    """Each process gets its own pkg output buffer."""
    global _buf
    _buf = pkg_malloc(cfg.buffer_size)
    if _buf is None:
        LM_ERR("out of pkg memory in process rank %d", rank)
        return -1
    return 0


def mod_destroy():
    """Give the shared counter back (master, at shutdown)."""
    global _counter, _buf
    if _counter:
        shm_free(_counter)
        _counter = 0
    if _buf is not None:
        pkg_free(_buf)
        _buf = None


def fixup_printa(value, param_no):
    """Param 1: a format with pseudo-variables; param 2: a log level name."""
    if param_no == 1:
        return parse_pv_format(value)
    level = LEVEL_BY_NAME.get(value)
    if level is None:
        raise FixupError("unknown log level %r (use L_ALERT..L_DBG)" % value)
    return level


def next_word():
    """The next word of the list, rotating across every worker."""
    view = shm_buf(_counter, _U64.size)
    (n,) = _U64.unpack_from(view, 0)
    _U64.pack_into(view, 0, n + 1)   # a lost update only repeats a word
    return _words[n % len(_words)]


def printa(msg, fmt, level):
    """Typed core of printa(): format, prefix, log; returns 1."""
    global _buf
    if _buf is None:          # no child_init (e.g. --trace-msg): lazily
        _buf = pkg_malloc(cfg.buffer_size)
    text = ("%s: %s\n" % (next_word(), fmt.format(msg))).encode("utf-8")
    size = len(_buf)
    if len(text) > size:
        LM_ERR("output truncated to buffer_size=%d bytes", size)
        text = text[:size - 1] + b"\n"
    _buf[:len(text)] = text
    LOG(level, _buf[:len(text)].decode("utf-8", "replace"))
    stat = get_stat("printed", "analog")
    if stat is not None:
        stat.inc()
    return 1


def w_printa(msg, fmt, level):
    """Script wrapper: the parameters arrive fixed up."""
    return printa(msg, fmt, level)
