"""Validated reload of the routing script (``openserctl reload``, SIGHUP).

Theory of operation
-------------------
A control block in shm, created by the master before fork
(:func:`init`)::

    header  int64 x 8: GEN REQ DONE STATUS HASH TEXTLEN VGEN SRC
    rows    one per process (process-table index):
            expect i64 | acked generation i64 | result i64 | error 240 bytes
    text    TEXT_MAX bytes: the last check's error / needs-restart lines

States of one reload::

    idle --SIGHUP--> checking --errors--> idle   (STATUS 1 or 2, text set)
                        |
                        +--ok--> switching: GEN += 1 --all acked--> idle
                                            (or the ack deadline passed)

1. A requester -- MI ``reload_cfg`` (what ``openserctl reload`` sends) --
   increments REQ and sends SIGHUP to the master; a plain ``kill -HUP``
   works the same way without anybody waiting for the answer.
2. The master (:func:`master_reload`) checks the file in a forked child
   (:mod:`reload_check`: the ``openser -c`` checks plus "needs restart"
   differences).  On failure it stores STATUS and every
   ``file:line:col: message`` line in the text area, logs them, sets
   DONE = REQ; the running configuration stays.
3. On success it copies the validated text into an shm blob (SRC; the
   blob of the reload before the previous one is freed) with its digest
   HASH, clears the participants' results, and publishes GEN + 1 (VGEN
   records which generation that request produced); DONE = REQ.
4. Every participant -- UDP receivers, TCP receivers, the timer process
   (they run routes), or the single process with ``fork=no`` -- reads GEN
   between two messages (one shm integer read per message, see
   :func:`generation_cell`; idle receivers wake up at least once a
   second).  When it differs from the generation it runs, the process
   takes the validated text from SRC (so that an edit of the file right
   after the reload cannot reach a slow worker unchecked; coordinates
   still name the file), checks its digest against HASH, compiles the
   routes itself with its own module registry (:func:`switch`) and swaps
   ``current_script.tables``;
   then it writes its row: acked generation, result 1 (ok) or -1 (failed,
   with the error).  A failed process keeps its previous routes.
5. The requester waits for DONE >= its REQ, then for every participant
   to ack VGEN, and reports per process.

Module parameters, modules and core parameters cannot change at run time:
:func:`reload_check.restart_items` refuses such a reload (see
doc/operations.md).  One reload at a time: concurrent requests are served
one after the other by the master's signal queue.
"""
import os
import signal
import struct
import time

from openser_py.core import pt
from openser_py.core.dprint import LM_ERR, LM_INFO, LM_NOTICE

__all__ = ["init", "generation_cell", "seen", "switch", "check",
           "master_reload", "pending", "mi_reload_cfg", "ST_OK",
           "ST_ERRORS", "ST_RESTART"]

ST_OK, ST_ERRORS, ST_RESTART = 0, 1, 2
GEN, REQ, DONE, STATUS, HASH, TEXTLEN, VGEN, SRC = range(8)
_HDR_CELLS = 8
_ROW = struct.Struct("<qqq240s")
TEXT_MAX = 32768
CHECK_WAIT = 40.0         # MI: seconds to wait for the master's check
ACK_WAIT = 10.0           # seconds to wait for every participant


class _Ctl:
    __slots__ = ("off", "n", "hdr", "gen", "seen", "alloc", "old_src")

    def __init__(self):
        self.off = 0
        self.n = 0
        self.hdr = None       # memoryview 'q' of the header cells
        self.gen = None       # memoryview 'q' of GEN alone (hot path)
        self.seen = 0         # generation this process runs
        self.alloc = None
        self.old_src = 0      # master: the previous reload's blob


_c = _Ctl()


def _rows_off():
    return _c.off + _HDR_CELLS * 8


def _text_off():
    return _rows_off() + _ROW.size * _c.n


def init(n_procs, participants):
    """Create the block (master, before fork); *participants* are the
    process-table indexes that switch scripts.  Returns 0, -1 on no shm."""
    from openser_py import mem
    from openser_py.mem.shm_mem import shm_buf, shm_malloc
    alloc = mem.get_allocator()
    if alloc is None:
        return -1
    size = _HDR_CELLS * 8 + _ROW.size * n_procs + TEXT_MAX
    off = shm_malloc(size)
    if not off:
        return -1
    shm_buf(off, size)[:] = bytes(size)
    _c.off, _c.n, _c.alloc, _c.seen = off, n_procs, alloc, 0
    _c.hdr = shm_buf(off, _HDR_CELLS * 8).cast("q")
    _c.gen = shm_buf(off, 8).cast("q")
    for idx in participants:
        if 0 <= idx < n_procs:
            _ROW.pack_into(_view_row(idx), 0, 1, 0, 0, b"")
    return 0


def _view_row(idx):
    from openser_py.mem.shm_mem import shm_buf
    return shm_buf(_rows_off() + idx * _ROW.size, _ROW.size)


def generation_cell():
    """The shm GEN cell (``cell[0]``), or None when reload is not set up.

    Loops compare ``cell[0]`` with :func:`seen` between messages and call
    :func:`switch` when they differ.
    """
    if _c.gen is not None and _c.alloc is not None:
        from openser_py import mem
        if mem.get_allocator() is not _c.alloc:      # arena recreated
            return None
    return _c.gen


def seen():
    """The generation this process runs."""
    return _c.seen


def check():
    """Switch if a new generation was published (timer heartbeat)."""
    gen = _c.gen
    if gen is not None and gen[0] != _c.seen:
        switch()


# -- the participant side -----------------------------------------------------
def _compile_current():
    """Re-read and compile the running config file; ``(ok, error)``."""
    from openser_py.cfg.compile import Compiler
    from openser_py.cfg.parser import get_parser
    from openser_py.core import cfgload, reload_check
    from openser_py.core.actions import CORE
    from openser_py.mem.shm_mem import shm_get_bytes
    script = cfgload.current_script
    if script is None or script.registry is None:
        return False, "no running script"
    source = bytes(shm_get_bytes(_c.hdr[SRC])).decode("latin-1")
    if reload_check.source_hash(source) != _c.hdr[HASH]:
        return False, "superseded by a newer reload"
    config, errors = get_parser().parse(source, script.path)
    if errors or config is None:
        return False, str(errors[0]) if errors else "cannot parse"
    comp = Compiler(script.registry, CORE, cfgload.ScriptEnv(script.myself),
                    max_while_loops=script.params.get("max_while_loops")
                    or 100)
    tables = comp.compile(config)
    if comp.errors:
        coord, message = comp.errors[0]
        return False, "%s: %s" % (coord, message)
    script.tables = tables
    script.config = config
    script.source = source
    return True, None


def switch():
    """Run the published generation: compile, swap, report; returns it."""
    gen = _c.gen[0]
    try:
        ok, err = _compile_current()
    except Exception as exc:  # noqa: BLE001 - a failed reload, not a crash
        ok, err = False, "%s: %s" % (type(exc).__name__, exc)
    idx = pt.process_no
    if 0 <= idx < _c.n:
        row = _view_row(idx)
        expect = _ROW.unpack_from(row, 0)[0]
        _ROW.pack_into(row, 0, expect, gen, 1 if ok else -1,
                       (err or "").encode("utf-8", "replace")[:240])
    if ok:
        LM_INFO("routing script generation %d loaded", gen)
    else:
        LM_ERR("routing script generation %d not loaded: %s", gen, err)
    _c.seen = gen
    return gen


# -- the master side ----------------------------------------------------------
def _set_text(lines):
    from openser_py.mem.shm_mem import shm_buf
    data = "\n".join(lines).encode("utf-8", "replace")[:TEXT_MAX]
    shm_buf(_text_off(), len(data))[:] = data
    _c.hdr[TEXTLEN] = len(data)


def _get_text():
    from openser_py.mem.shm_mem import shm_buf
    n = _c.hdr[TEXTLEN]
    if not n:
        return []
    return bytes(shm_buf(_text_off(), n)).decode("utf-8", "replace") \
        .split("\n")


def _store_source(path, res):
    """Copy the validated file into shm; its offset, or 0."""
    from openser_py.cfg.parser import read_cfg_file
    from openser_py.core import reload_check
    from openser_py.mem.shm_mem import shm_free, shm_put_bytes
    try:
        source = read_cfg_file(path)
    except OSError:
        return 0
    if reload_check.source_hash(source) != res.hash:
        return 0
    off = shm_put_bytes(source.encode("latin-1"))
    if off:
        if _c.old_src:
            shm_free(_c.old_src)      # two reloads old: nobody reads it
        _c.old_src = _c.hdr[SRC]
    return off


def master_reload(script):
    """Validate the running config file and publish it; returns the new
    generation, or None when the check failed (errors are logged)."""
    from openser_py.core import reload_check
    if _c.hdr is None:
        LM_ERR("reload: no control block (shm)")
        return None
    req = _c.hdr[REQ]
    LM_NOTICE("reload: checking %s", script.path)
    res = reload_check.validate(script.path, script.config, script)
    src = _store_source(script.path, res) if res.ok else 0
    if res.ok and not src:
        res.errors.append("%s:0:0: the file changed during the check, or no "
                          "shared memory for its text: run the reload again"
                          % script.path)
    if not res.ok:
        lines = res.errors or res.restart
        for line in lines:
            LM_ERR("reload refused: %s", line)
        _set_text(lines)
        _c.hdr[STATUS] = ST_ERRORS if res.errors else ST_RESTART
        _c.hdr[DONE] = req
        return None
    _c.hdr[HASH] = res.hash
    _c.hdr[SRC] = src
    for idx in range(_c.n):
        row = _view_row(idx)
        expect, acked, _, _ = _ROW.unpack_from(row, 0)
        _ROW.pack_into(row, 0, expect, acked, 0, b"")
    gen = _c.hdr[GEN] + 1
    _set_text([])
    _c.hdr[VGEN] = gen
    _c.hdr[STATUS] = ST_OK
    _c.hdr[GEN] = gen                       # publish
    _c.hdr[DONE] = req
    LM_NOTICE("reload: %s is valid, workers switch to generation %d",
              script.path, gen)
    return gen


def rows(gen):
    """``[(idx, pid, desc, state, error)]`` of every participant for
    generation *gen*; state is ``ok``, ``failed`` or ``pending``."""
    descs = {r[0]: (r[1], r[3]) for r in pt.rows()}
    out = []
    for idx in range(_c.n):
        expect, acked, result, err = _ROW.unpack_from(_view_row(idx), 0)
        if not expect:
            continue
        if acked >= gen and result:
            state = "ok" if result > 0 else "failed"
        else:
            state = "pending"
        pid, desc = descs.get(idx, (0, "?"))
        out.append((idx, pid, desc, state,
                    err.rstrip(b"\0").decode("utf-8", "replace")))
    return out


def pending(gen):
    """Participants that have not reported generation *gen* yet."""
    return [r for r in rows(gen) if r[3] == "pending"]


# -- MI reload_cfg ------------------------------------------------------------
def _master_pid():
    for idx, pid, _rank, _desc, _alive in pt.rows():
        if idx == 0:
            return pid
    return os.getppid()


def _wait(cond, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def mi_reload_cfg(args, param):
    """MI ``reload_cfg``: validate, switch every worker, report."""
    from openser_py.mi.tree import MiRoot, mi_error
    if _c.hdr is None or generation_cell() is None:
        return mi_error(500, "Reload not available")
    req = _c.hdr[REQ] + 1
    _c.hdr[REQ] = req
    try:
        os.kill(_master_pid(), signal.SIGHUP)
    except OSError as exc:
        return mi_error(500, "Cannot signal the master: %s" % exc.strerror)
    if not _wait(lambda: _c.hdr[DONE] >= req, CHECK_WAIT):
        return mi_error(500, "No answer from the master")
    status = _c.hdr[STATUS]
    if status != ST_OK:
        rpl = MiRoot(code=400 if status == ST_ERRORS else 409,
                     reason="Configuration errors" if status == ST_ERRORS
                     else "Restart required")
        kind = "Error" if status == ST_ERRORS else "Restart"
        for line in _get_text():
            rpl.add_child(kind, line)
        return rpl
    gen = _c.hdr[VGEN]
    _wait(lambda: not pending(gen), ACK_WAIT)
    procs = rows(gen)
    bad = [p for p in procs if p[3] != "ok"]
    rpl = MiRoot() if not bad else MiRoot(
        code=500, reason="Reload incomplete in %d process(es)" % len(bad))
    rpl.add_child("Generation", str(gen))
    for idx, pid, desc, state, err in procs:
        rpl.add_child("Process", "ID=%d PID=%d Status=%s Type=%s%s"
                             % (idx, pid, state, desc,
                                (" Error=" + err) if err else ""))
    return rpl
