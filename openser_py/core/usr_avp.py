"""User AVPs (attribute-value pairs), as OpenSER 1.3 ``usr_avp.c`` has them.

An AVP has a *name* -- an integer id (``i:12``) or a string (``s:name``) --
and a value (``int`` or ``str``).  One name may hold several values: they
form a stack, the newest first (``$avp(s:x)`` is the newest value,
``$(avp(s:x)[1])`` the one before).  String names compare
case-insensitively, as OpenSER's ``strncasecmp``.

Every AVP carries ``flags``: bit 0 ``AVP_NAME_STR``, bit 1 ``AVP_VAL_STR``,
bits 2..7 core flags (``serialize_branches`` uses bit 4), bits 8..15 the
*script flags* written between the type letter and the colon
(``i3:12`` -> flags ``3 << 8``).  A search with script flags only finds AVPs
having one of those flags; a search with 0 finds all.

The AVPs of a request live in an :class:`AvpList`.  The core keeps a
process-global *current list* (OpenSER's ``crt_avps``):
:func:`get_avp_list` returns it, the engine calls :func:`reset_avps` before
each message, and tm swaps in a transaction's list with
:func:`set_avp_list` (which returns the previous one, to restore it later).
:meth:`AvpList.to_bytes` / :meth:`AvpList.from_bytes` marshal a list (with
:mod:`marshal`, never pickle) so tm can keep it in shared memory.

Global aliases (the ``avp_aliases`` core parameter) map a bare name to an
AVP name: ``add_avp_galias_str("uuid=s:uuid;caller=i:12")`` then
``$avp(caller)`` is ``$avp(i:12)``.
"""
import marshal

__all__ = [
    "AVP_NAME_STR", "AVP_VAL_STR", "AVP_CORE_MASK", "AVP_SCRIPT_MASK",
    "avp_script_flags", "AvpError", "Avp", "AvpList", "parse_avp_name",
    "parse_avp_spec", "add_avp_galias", "add_avp_galias_str",
    "lookup_avp_galias", "clear_avp_galiases", "get_avp_list",
    "set_avp_list", "reset_avps", "add_avp", "search_first_avp",
    "destroy_avps",
]

AVP_NAME_STR = 1 << 0
AVP_VAL_STR = 1 << 1
AVP_CORE_MASK = 0x00FF
AVP_SCRIPT_MASK = 0xFF00

_MARSHAL_VERSION = 1


def avp_script_flags(flags):
    """Script flag number(s) -> the AVP flag bits (OpenSER macro)."""
    return (flags << 8) & AVP_SCRIPT_MASK


class AvpError(ValueError):
    """A malformed AVP name, alias definition or value."""


def _key(name):
    """Dictionary key of an AVP name: int ids as is, str names lower-cased."""
    if name.__class__ is int:
        return name
    if isinstance(name, str):
        return name.lower()
    if isinstance(name, int) and not isinstance(name, bool):
        return int(name)
    raise AvpError("AVP name must be int or str, not %r" % (name,))


def _check_name(name):
    """Reject the names OpenSER refuses (id 0, empty string)."""
    if isinstance(name, bool) or not isinstance(name, (int, str)):
        raise AvpError("AVP name must be int or str, not %r" % (name,))
    if isinstance(name, int):
        if name == 0:
            raise AvpError("0 ID AVP")
    elif not name:
        raise AvpError("empty AVP name")


def _check_value(value):
    """Return *value* as a plain int or str (str subclasses are kept as str)."""
    if value.__class__ is str or value.__class__ is int:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    raise AvpError("AVP value must be int or str, not %r" % (value,))


class Avp:
    """One AVP: ``name`` (int or str), ``value`` (int or str), ``flags``."""

    __slots__ = ("name", "value", "flags", "seq")

    def __init__(self, name, value, flags, seq):
        self.name = name
        self.value = value
        self.flags = flags
        self.seq = seq

    @property
    def is_str_name(self):
        """True when the name is a string."""
        return bool(self.flags & AVP_NAME_STR)

    @property
    def is_str_value(self):
        """True when the value is a string."""
        return bool(self.flags & AVP_VAL_STR)

    @property
    def script_flags(self):
        """The script flag bits (``flags >> 8``)."""
        return (self.flags & AVP_SCRIPT_MASK) >> 8

    def __repr__(self):
        kind = "s" if self.flags & AVP_NAME_STR else "i"
        return "<avp %s:%s=%r flags=0x%x>" % (kind, self.name, self.value,
                                               self.flags)


def _matches(avp, flags):
    """OpenSER's filter: no script flags asked, or one of them is set."""
    return not flags or (avp.flags & flags)


class AvpList:
    """A list of AVPs (one message, one transaction, or the global list).

    Values are kept per name in a stack; :meth:`items` gives every AVP
    newest first, as OpenSER's linked list.
    """

    __slots__ = ("_by_key", "_seq")

    def __init__(self):
        self._by_key = {}
        self._seq = 0

    # -- adding -------------------------------------------------------------

    def add(self, name, value, flags=0):
        """Push a new value for *name*; return the new :class:`Avp`.

        ``flags`` may carry core/script flag bits; the name/value type bits
        are computed here.
        """
        _check_name(name)
        value = _check_value(value)
        flags &= ~(AVP_NAME_STR | AVP_VAL_STR)
        if isinstance(name, str):
            flags |= AVP_NAME_STR
            key = name.lower()
        else:
            key = name
        if value.__class__ is str:
            flags |= AVP_VAL_STR
        self._seq += 1
        avp = Avp(name, value, flags, self._seq)
        stack = self._by_key.get(key)
        if stack is None:
            self._by_key[key] = [avp]
        else:
            stack.append(avp)
        return avp

    # -- searching ----------------------------------------------------------

    def search(self, name, flags=0):
        """Newest value of *name* (``None`` when unset)."""
        stack = self._by_key.get(_key(name))
        if not stack:
            return None
        if not flags:
            return stack[-1].value
        for avp in reversed(stack):
            if avp.flags & flags:
                return avp.value
        return None

    def search_all(self, name, flags=0):
        """Every value of *name*, newest first (``[]`` when unset)."""
        stack = self._by_key.get(_key(name))
        if not stack:
            return []
        return [a.value for a in reversed(stack) if _matches(a, flags)]

    values = search_all

    def search_index(self, name, index, flags=0):
        """Value number *index* of *name* (0 = newest, -1 = oldest) or None."""
        vals = self.search_all(name, flags)
        if -len(vals) <= index < len(vals):
            return vals[index]
        return None

    def search_first(self, name, flags=0):
        """The newest :class:`Avp` of *name* (or None)."""
        stack = self._by_key.get(_key(name))
        if stack:
            for avp in reversed(stack):
                if _matches(avp, flags):
                    return avp
        return None

    def search_next(self, avp):
        """The next older AVP with the same name as *avp* (or None).

        The script flags of *avp* filter the search, as ``search_next_avp``.
        """
        stack = self._by_key.get(_key(avp.name))
        if not stack:
            return None
        flags = avp.flags & AVP_SCRIPT_MASK
        found = False
        for other in reversed(stack):
            if found:
                if _matches(other, flags):
                    return other
            elif other is avp:
                found = True
        return None

    def count(self, name, flags=0):
        """Number of values of *name*."""
        return len(self.search_all(name, flags))

    def __contains__(self, name):
        return bool(self._by_key.get(_key(name)))

    # -- deleting -----------------------------------------------------------

    def delete(self, name, all=False, flags=0):
        """Delete the newest value of *name* (every value with ``all``).

        Returns the number of AVPs removed.
        """
        key = _key(name)
        stack = self._by_key.get(key)
        if not stack:
            return 0
        if all and not flags:
            n = len(stack)
            del self._by_key[key]
            return n
        n = 0
        for i in range(len(stack) - 1, -1, -1):
            if _matches(stack[i], flags):
                del stack[i]
                n += 1
                if not all:
                    break
        if not stack:
            del self._by_key[key]
        return n

    def remove(self, avp):
        """Remove one given :class:`Avp` object; True if it was found."""
        key = _key(avp.name)
        stack = self._by_key.get(key)
        if stack:
            for i, other in enumerate(stack):
                if other is avp:
                    del stack[i]
                    if not stack:
                        del self._by_key[key]
                    return True
        return False

    def clear(self):
        """Remove every AVP."""
        self._by_key.clear()

    # -- whole list ---------------------------------------------------------

    def items(self):
        """Every :class:`Avp`, newest first."""
        out = [a for stack in self._by_key.values() for a in stack]
        out.sort(key=lambda a: a.seq, reverse=True)
        return out

    def __iter__(self):
        return iter(self.items())

    def __len__(self):
        return sum(len(s) for s in self._by_key.values())

    def __bool__(self):
        return bool(self._by_key)

    def copy(self):
        """An independent copy (same order, same flags)."""
        new = AvpList()
        for avp in reversed(self.items()):
            new.add(avp.name, avp.value, avp.flags)
        return new

    def to_bytes(self):
        """Marshal the list (oldest first) for shared memory."""
        rows = [(a.name, a.value, a.flags) for a in reversed(self.items())]
        return marshal.dumps((_MARSHAL_VERSION, rows))

    @classmethod
    def from_bytes(cls, data):
        """Rebuild a list written by :meth:`to_bytes`."""
        try:
            version, rows = marshal.loads(data)
        except (EOFError, ValueError, TypeError) as exc:
            raise AvpError("bad marshalled AVP list: %s" % exc) from None
        if version != _MARSHAL_VERSION:
            raise AvpError("unknown AVP list format %r" % (version,))
        new = cls()
        for name, value, flags in rows:
            new.add(name, value, flags)
        return new

    def __eq__(self, other):
        if not isinstance(other, AvpList):
            return NotImplemented
        return ([(a.name, a.value, a.flags) for a in self.items()]
                == [(a.name, a.value, a.flags) for a in other.items()])

    __hash__ = None

    def __repr__(self):
        return "AvpList(%r)" % (self.items(),)


# -- names and aliases ------------------------------------------------------

_galiases = {}        # lower-cased alias -> (alias as written, name, flags)


def parse_avp_name(text):
    """Parse ``i:12`` / ``s:name`` / ``i3:12`` -> ``(name, flags)``.

    ``name`` is an int for ``i:``, a str for ``s:``; ``flags`` holds the
    script flag bits.  Raises :class:`AvpError`.
    """
    if not text:
        raise AvpError("empty AVP name")
    colon = text.find(":")
    kind = text[0]
    if kind not in "iIsS" or colon < 0:
        raise AvpError("use type (s: or i:) in front of avp name %r" % text)
    flags = 0
    if colon > 1:
        digits = text[1:colon]
        if not digits.isdigit() or not digits.isascii():
            raise AvpError("bad avp flags in %r" % text)
        flags = avp_script_flags(int(digits))
    name = text[colon + 1:]
    if kind in "sS":
        if not name:
            raise AvpError("empty AVP name in %r" % text)
        return name, flags
    if not name.isdigit() or not name.isascii():
        raise AvpError("invalid AVP ID %r: not a number" % name)
    ident = int(name)
    if ident == 0 or ident > 0xFFFFFFFF:
        raise AvpError("invalid AVP ID %r" % name)
    return ident, flags


def parse_avp_spec(text):
    """An AVP name or a global alias -> ``(name, flags)``.

    Text without ``:`` is looked up in the aliases (1.3 has no bare-name
    AVPs otherwise).  Raises :class:`AvpError`.
    """
    if ":" in text:
        return parse_avp_name(text)
    found = lookup_avp_galias(text)
    if found is None:
        raise AvpError("unknown AVP alias %r (no ':' and not in avp_aliases)"
                       % text)
    return found


def add_avp_galias(alias, name, flags=0):
    """Register global alias *alias* for AVP *name* (int id or str)."""
    if not alias:
        raise AvpError("empty AVP alias")
    _check_name(name)
    lalias = alias.lower()
    if lalias in _galiases:
        raise AvpError("duplicate AVP alias %r" % alias)
    for _a, other, _f in _galiases.values():
        if type(other) is type(name) and _key(other) == _key(name):
            raise AvpError("AVP %r already has an alias" % (name,))
    _galiases[lalias] = (alias, name, flags & AVP_SCRIPT_MASK)


def add_avp_galias_str(definition):
    """Parse the ``avp_aliases`` parameter ``"a=i:12; b=s:name"``."""
    text = definition.strip()
    if not text:
        raise AvpError("empty avp_aliases definition")
    for part in text.split(";"):
        part = part.strip()
        if not part:
            raise AvpError("parse error in avp_aliases %r" % definition)
        alias, eq, spec = part.partition("=")
        alias = alias.strip()
        spec = spec.strip()
        if not eq or not alias or not spec or any(c.isspace() for c in
                                                  alias + spec):
            raise AvpError("parse error in avp_aliases %r" % definition)
        name, flags = parse_avp_name(spec)
        add_avp_galias(alias, name, flags)


def lookup_avp_galias(alias):
    """``(name, flags)`` for a global alias (case-insensitive) or None."""
    found = _galiases.get(alias.lower())
    if found is None:
        return None
    return found[1], 0


def clear_avp_galiases():
    """Forget every global alias (tests, re-reading the config)."""
    _galiases.clear()


# -- the process-global current list ----------------------------------------

_global_list = AvpList()
_crt_list = _global_list


def get_avp_list():
    """The current AVP list (the message's, or tm's transaction list)."""
    return _crt_list


def set_avp_list(lst):
    """Make *lst* the current list; return the previous one."""
    global _crt_list
    if not isinstance(lst, AvpList):
        raise TypeError("set_avp_list needs an AvpList")
    old = _crt_list
    _crt_list = lst
    return old


def reset_avps():
    """Back to the process's own list, emptied (before each message)."""
    global _crt_list
    _crt_list = _global_list
    _global_list.clear()


def add_avp(name, value, flags=0):
    """Add to the current list (``add_avp``)."""
    return _crt_list.add(name, value, flags)


def search_first_avp(name, flags=0):
    """Newest value of *name* in the current list (or None)."""
    return _crt_list.search(name, flags)


def destroy_avps(name, all=False, flags=0):
    """Delete from the current list; return how many were removed."""
    return _crt_list.delete(name, all, flags)
