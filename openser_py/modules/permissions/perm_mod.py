"""permissions module: parameters, start-up and the allow/deny file checks
(OpenSER ``permissions/permissions.c``).

The allow/deny files are parsed once, at start-up (default files in
``mod_init``, the others in the fixups), in the master: every worker
inherits them.  A relative file name is taken relative to the directory
of the main config file.
"""
import os

from openser_py.core import dset
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.exports import FixupError
from openser_py.core.pvar import PvError, parse_pv_spec
from openser_py.modules.permissions import rules as R
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_uri import parse_uri


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``permissions`` module (attribute = default)."""
    default_allow_file = "permissions.allow"
    default_deny_file = "permissions.deny"
    check_all_branches = 1
    allow_suffix = ".allow"
    deny_suffix = ".deny"
    db_url = ""
    db_mode = 0
    trusted_table = "trusted"
    source_col = "src_ip"
    proto_col = "proto"
    from_col = "from_pattern"
    tag_col = "tag"
    peer_tag_avp = ""
    address_table = "address"
    grp_col = "grp"
    ip_addr_col = "ip_addr"
    mask_col = "mask"
    port_col = "port"


class RuleFiles:
    """One allow/deny pair (index into the process's table)."""
    __slots__ = ("allow_name", "deny_name", "allow", "deny")

    def __init__(self, allow_name, deny_name, allow, deny):
        self.allow_name, self.deny_name = allow_name, deny_name
        self.allow, self.deny = allow, deny

    @property
    def empty(self):
        """No rule in either file (control turned off)."""
        return not self.allow and not self.deny


#: parsed files: pathname -> rules (None = not found), per process
_files = {}
#: the pairs, index 0 = the default files
pairs = []


def cfg_dir():
    """Directory of the main config file ("" if unknown)."""
    from openser_py.core import cfgload
    script = getattr(cfgload, "current_script", None)
    path = getattr(script, "path", None) or ""
    if path.startswith("<"):
        return ""
    return os.path.dirname(path)


def get_pathname(name):
    """*name* with the config directory in front when it has no ``/``."""
    if "/" in name:
        return name
    d = cfg_dir()
    return os.path.join(d, name) if d else name


def _rules(pathname):
    if pathname not in _files:
        _files[pathname] = R.parse_file(pathname)
        if _files[pathname] is None:
            LM_DBG("file (%s) not found => empty rule set", pathname)
    return _files[pathname]


def load_pair(allow_file, deny_file):
    """The RuleFiles of two file names (parsed once per path)."""
    a, d = get_pathname(allow_file), get_pathname(deny_file)
    for p in pairs:
        if p.allow_name == a and p.deny_name == d:
            return p
    p = RuleFiles(a, d, _rules(a), _rules(d))
    pairs.append(p)
    return p


def reset_files():
    """Forget every parsed file (mod_init / destroy)."""
    _files.clear()
    del pairs[:]


def init_default_files():
    """Parse the default allow/deny files (pair 0)."""
    reset_files()
    load_pair(cfg.default_allow_file, cfg.default_deny_file)


def find_pair_by_allow(pathname):
    """The first loaded pair whose allow file is *pathname* (MI)."""
    for p in pairs:
        if p.allow_name == pathname:
            return p
    return None


# -- fixups ---------------------------------------------------------------

def fixup_single(value, param_no):
    """``basename`` -> the pair basename+allow_suffix / +deny_suffix."""
    return load_pair(value + cfg.allow_suffix, value + cfg.deny_suffix)


def fixup_double(value, param_no):
    """``allow_file, deny_file``: parse the file now (start-up); the pair
    is looked up by name at run time."""
    _rules(get_pathname(value))
    return value


def fixup_uri(value, param_no):
    """allow_uri: basename (1) and a pseudo-variable (2)."""
    if param_no == 1:
        return fixup_single(value, 1)
    try:
        return parse_pv_spec(value)
    except PvError as exc:
        raise FixupError("parsing of pseudo variable %s failed: %s"
                         % (value, exc)) from None


def _pair2(a, d):
    return load_pair(a, d)


# -- checks -----------------------------------------------------------------

def plain_uri(text):
    """``sip:user@host`` (or ``sip:host``) of a URI; None if unparsable."""
    try:
        u = parse_uri(text.strip())
    except SipParseError:
        LM_ERR("failed to parse URI %s", text)
        return None
    if u.user:
        return "sip:%s@%s" % (u.user, u.host)
    return "sip:%s" % u.host


def _from_uri(msg):
    frm = msg.from_
    if frm is None:
        LM_ERR("FROM header field not found")
        return None
    return frm.uri


def check_routing(msg, pair):
    """1.3's ``check_routing``: allow / deny the (From, R-URI[, branch])
    pairs; 1 / -1."""
    if pair.empty:
        LM_DBG("no rules => allow any routing")
        return 1
    try:
        from_str = _from_uri(msg)
        if from_str is None:
            return -1
        u = parse_uri(dset.get_request_uri(msg))
    except SipParseError as exc:
        LM_ERR("uri parsing failed: %s", exc.reason)
        return -1
    ruri_str = "sip:%s@%s" % (u.user, u.host)
    LM_DBG("looking for From: %s Request-URI: %s", from_str, ruri_str)
    if R.search_rule(pair.allow, from_str, ruri_str):
        if not cfg.check_all_branches:
            return 1
    elif R.search_rule(pair.deny, from_str, ruri_str):
        LM_DBG("deny rule found => routing is denied")
        return -1
    elif not cfg.check_all_branches:
        return 1
    for br in dset.get_branches():
        uri_str = plain_uri(br.uri)
        if uri_str is None:
            LM_ERR("failed to extract plain URI")
            return -1
        if R.search_rule(pair.allow, from_str, uri_str):
            continue
        if R.search_rule(pair.deny, from_str, uri_str):
            LM_DBG("deny rule found for one of branches")
            return -1
    return 1


def check_register(msg, pair):
    """1.3's ``check_register``: (To, Contact) pairs; 1 / -1."""
    if pair.empty:
        return 1
    try:
        to = msg.to
        if to is None:
            LM_ERR("To or Contact not found")
            return -1
        contacts = msg.contacts
    except SipParseError as exc:
        LM_ERR("failed to parse headers: %s", exc)
        return -1
    if contacts is None:
        LM_DBG("no Contact found, allowing")
        return 1
    if contacts.star:
        LM_DBG("* Contact found, allowing")
        return 1
    to_str = to.uri
    for c in contacts.contacts:
        contact_str = plain_uri(c.uri)
        if contact_str is None:
            LM_ERR("can't extract plain Contact URI")
            return -1
        if R.search_rule(pair.allow, to_str, contact_str) \
                and cfg.check_all_branches:
            continue
        if R.search_rule(pair.deny, to_str, contact_str):
            LM_DBG("deny rule found => Register denied")
            return -1
    return 1


def allow_uri(msg, pair, spec):
    """1.3's ``allow_uri``: (From URI, value of the PV); 1 / -1."""
    if pair.empty:
        return 1
    try:
        from_str = _from_uri(msg)
    except SipParseError as exc:
        LM_ERR("failed to parse From body: %s", exc)
        return -1
    if from_str is None:
        return -1
    val = spec.get(msg)
    if not isinstance(val, str):
        LM_ERR("pseudo variable value is not string")
        return -1
    if R.search_rule(pair.allow, from_str, val):
        return 1
    if R.search_rule(pair.deny, from_str, val):
        return -1
    return 1


def allow_test(basename, uri, contact):
    """MI allow_uri: 1 allowed, 0 denied, -1 file not loaded."""
    p = find_pair_by_allow(get_pathname(basename + cfg.allow_suffix))
    if p is None:
        LM_ERR("File <%s> has not been loaded", basename)
        return -1
    if p.empty:
        return 1
    if R.search_rule(p.allow, uri, contact):
        return 1
    if R.search_rule(p.deny, uri, contact):
        return 0
    return 1


def w_allow_routing0(msg):
    """``allow_routing()``."""
    return check_routing(msg, pairs[0])


def w_allow_routing1(msg, pair):
    """``allow_routing(basename)``."""
    return check_routing(msg, pair)


def w_allow_routing2(msg, a, d):
    """``allow_routing(allow_file, deny_file)``."""
    return check_routing(msg, _pair2(a, d))


def w_allow_register1(msg, pair):
    """``allow_register(basename)``."""
    return check_register(msg, pair)


def w_allow_register2(msg, a, d):
    """``allow_register(allow_file, deny_file)``."""
    return check_register(msg, _pair2(a, d))


def w_allow_uri(msg, pair, spec):
    """``allow_uri(basename, pv)``."""
    return allow_uri(msg, pair, spec)
