"""Static destination blacklists (``dst_blacklist`` + ``use_blacklist``).

``dst_blacklist = name:{ (proto, net, port, "text"), !(...) }`` defines a
named list; ``use_blacklist("name")`` enables it for the message in hand, and
forwarding refuses a destination it matches with ``E_IP_BLOCKED`` (answered
``473 Filtered destination``).  A rule matches when the protocol (``any`` =
every one), the network and the port (0 = every port) all match; a rule
written ``!( ... )`` matches every destination the inner rule does not.
"""
import ipaddress

from openser_py.cfg import ast
from openser_py.core.ip_addr import PROTO_BY_NAME

_lists = {}


class Rule:
    """One compiled blacklist rule."""
    __slots__ = ("negate", "proto", "net", "port", "text")

    def __init__(self, negate, proto, net, port, text):
        self.negate = negate
        self.proto = proto
        self.net = net
        self.port = port
        self.text = text

    def matches(self, proto, ip, port):
        """True if (proto, ip, port) is blocked by this rule."""
        try:
            inside = ipaddress.ip_address(ip.strip("[]")) in self.net
        except ValueError:
            inside = False
        hit = ((not self.proto or self.proto == proto) and inside
               and (not self.port or self.port == port))
        return not hit if self.negate else hit


def _net(node):
    if isinstance(node, ast.IpNet):
        mask = node.mask
        bits = mask.value if isinstance(mask, ast.Number) else mask.address
        return ipaddress.ip_network("%s/%s" % (node.addr.address, bits),
                                    strict=False)
    return ipaddress.ip_network(node.address, strict=False)


def compile_lists(entries):
    """Build the named lists from the ``dst_blacklist`` core parameter."""
    _lists.clear()
    for name, rules in entries:
        compiled = []
        for r in rules:
            port = r.port.value if isinstance(r.port, ast.Number) else 0
            compiled.append(Rule(bool(r.negate), PROTO_BY_NAME.get(r.proto, 0),
                                 _net(r.net), port or 0,
                                 r.text.value if r.text is not None else ""))
        _lists[name] = compiled


def get(name):
    """The rules of list *name*, or None."""
    return _lists.get(name)


def check(msg, proto, ip, port):
    """The text of the first enabled rule blocking the destination, or None."""
    for rules in msg.ctx.get("blacklists", ()):
        for rule in rules:
            if rule.matches(proto, ip, port):
                return rule.text or "blacklisted"
    return None
