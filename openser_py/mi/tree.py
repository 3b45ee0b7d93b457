"""MI trees: the value every MI command handler returns (reference §9.1).

A handler is called as ``handler(args, param)`` where *args* is a list of
:class:`MiNode` (the request's argument lines, ``name`` may be ``""``) and
*param* is the ``MiExport.param``.  It returns an :class:`MiRoot` -- code,
reason and the reply nodes -- or ``None`` for "command failed" (the
transport answers ``500 command '<cmd>' failed``).  Handlers never raise for
bad input: they return ``mi_error(400, "Bad parameter")`` and friends.

Example (usrloc ``ul_show_contact``)::

    rpl = MiRoot()                                   # 200 OK
    rpl.add_child("Contact", "<sip:u@h>;q=;expires=3600")
    return rpl

    return mi_error(404, "AOR not found")
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

#: MiExport.flags: the command takes no arguments (they are read and dropped).
MI_NO_INPUT_FLAG = 1 << 0
#: MiExport.flags: the reply is delivered later (t_uac_dlg).
MI_ASYNC_RPL_FLAG = 1 << 1

MI_OK = (200, "OK")
MI_MISSING_PARM = (400, "Too few or too many arguments")
MI_BAD_PARM = (400, "Bad parameter")
MI_INTERNAL_ERR = (500, "Server Internal Error")


@dataclass
class MiNode:
    """One node: optional name, optional value, attributes, children."""
    name: str = ""
    value: Optional[str] = None
    attrs: List[Tuple[str, str]] = field(default_factory=list)
    kids: List["MiNode"] = field(default_factory=list)

    def add_child(self, name="", value=None):
        """Append and return a child node (values are turned into str)."""
        node = MiNode(name, None if value is None else str(value))
        self.kids.append(node)
        return node

    def add_attr(self, name, value):
        """Append an attribute ``name=value``; returns self for chaining."""
        self.attrs.append((name, "" if value is None else str(value)))
        return self

    def walk(self, depth=0):
        """Yield ``(depth, node)`` depth-first, children after their parent."""
        for kid in self.kids:
            yield depth, kid
            yield from kid.walk(depth + 1)


@dataclass
class MiRoot(MiNode):
    """The reply root: ``code``/``reason`` plus the top-level nodes in kids."""
    code: int = 200
    reason: str = "OK"


def mi_error(code, reason):
    """A reply with no nodes, e.g. ``mi_error(404, "AOR not found")``."""
    return MiRoot(code=code, reason=reason)


def mi_args(args):
    """The argument values as a list of str (names dropped)."""
    return [a.value if a.value is not None else "" for a in args]
