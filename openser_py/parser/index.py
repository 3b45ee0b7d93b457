"""The header index of a SIP message: the first step of parsing.

``index_head(buf)`` finds the end of the header block (RFC 3261 7: the
first CRLF CRLF), decodes the block as latin-1, splits it into lines (each
keeps its CR) and partitions every header line at its first colon (RFC
3261 7.3: ``header-name HCOLON header-value``), with the one-character
type code of every name (``hf.FAST_CODE``: exact spellings only, anything
else ``hf.UNKNOWN_CODE``).  It returns::

    (body_offset, text, first_line, lines, parts, types)

or None when the message needs the general parser (no CRLF CRLF, an empty
header block, no header line, or a line whose value would be empty).  It
checks nothing of the grammar: ``msg.SipMsg`` does.

Two implementations return equal values: ``py_index_head`` below (the
reference) and the optional C module ``_speedups`` (built by ``make`` and
by ``pip install`` when a C compiler and the Python headers are there).
The C one is used when it imports and ``OPENSER_PY_PURE`` is not set in
the environment; ``IMPLEMENTATION`` says which one is in use.
"""
import os

from openser_py.parser.hf import FAST_CODE, FAST_CODES, ITEM0, UNKNOWN_CODE

__all__ = ["index_head", "py_index_head", "c_index_head", "IMPLEMENTATION"]


def py_index_head(buf):
    """The header index of ``buf`` (bytes), or None; see the module doc."""
    p = buf.find(b"\r\n\r\n")
    if p <= 0:
        return None
    text = buf[:p + 4].decode("latin-1")
    lines = text.split("\n")
    del lines[-2:]
    if len(lines) < 2:
        return None
    first = lines[0]
    del lines[0]
    # a line without a colon has an empty value (the value of a CRLF line
    # never is): it is left out, and the length tells
    parts = [x for line in lines if (x := line.partition(":"))[2]]
    if len(parts) != len(lines):
        return None
    return (p + 4, text, first, lines, parts,
            "".join(map(FAST_CODE, map(ITEM0, parts))))


def _load_c():
    """The C ``index_head``, or None if it is not built."""
    try:
        from openser_py.parser import _speedups
    except ImportError:
        return None
    _speedups.set_codes(dict(FAST_CODES), UNKNOWN_CODE)
    return _speedups.index_head


c_index_head = _load_c()
if c_index_head is not None and not os.environ.get("OPENSER_PY_PURE"):
    index_head = c_index_head
    IMPLEMENTATION = "C (openser_py.parser._speedups)"
else:
    index_head = py_index_head
    IMPLEMENTATION = "Python"
