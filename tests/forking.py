"""Forked-process helpers shared by the multi-process tests.

Children run ``target(i)`` and leave with ``os._exit`` (1 if it raised);
:func:`reap` waits a bounded time and SIGKILLs stragglers, so a test can
never leave a process behind.
"""
import os
import signal
import sys
import time
import traceback


def _child(target, i):
    code = 1
    try:
        target(i)
        code = 0
    except BaseException:           # report anything, then leave quietly
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def spawn(n, target):
    """Fork ``n`` children running ``target(i)``; return their pids."""
    pids = []
    for i in range(n):
        pid = os.fork()
        if pid == 0:
            _child(target, i)
        pids.append(pid)
    return pids


def reap(pids, timeout=30.0):
    """Wait for ``pids`` at most ``timeout`` s, killing stragglers.

    Returns the exit codes in order ("timeout" for a killed child).
    """
    codes = {}
    deadline = time.monotonic() + timeout
    try:
        while len(codes) < len(pids) and time.monotonic() < deadline:
            for pid in pids:
                if pid not in codes:
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        codes[pid] = os.waitstatus_to_exitcode(status)
            time.sleep(0.005)
    finally:
        for pid in pids:
            if pid not in codes:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                codes[pid] = "timeout"
    return [codes[pid] for pid in pids]


def run_forked(n, target, timeout=30.0):
    """Fork ``n`` children running ``target(i)`` and reap them (bounded).

    A child that raised exits with 1; returns the list of exit codes.
    """
    pids = spawn(n, target)
    return reap(pids, timeout)
