"""Helpers for the dispatcher tests: list files, configs, requests, and an
independent implementation of 1.3's ``ds_get_hash`` (C ``char`` signed,
``unsigned int`` arithmetic) to compute expected choices."""
import ctypes

from openser_py.core.scriptrun import SendRecorder, make_msg, run_route
from openser_py.core.usr_avp import get_avp_list
from tests.modules.auth_db import dbenv

HEAD = 'listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\n'


def c_core_sum(data):
    """``core_hash``'s word sum over *data* (bytes), C semantics."""
    u = ctypes.c_uint32
    h = u(0)
    p = 0
    n = len(data)
    sc = [ctypes.c_int8(b).value for b in data]
    while p + 4 <= n:
        v = u((sc[p] << 24) + (sc[p + 1] << 16) + (sc[p + 2] << 8)
              + sc[p + 3])
        h = u(h.value + (v.value ^ (v.value >> 3)))
        p += 4
    v = u(0)
    while p < n:
        v = u(v.value << 8)
        v = u(v.value + sc[p])
        p += 1
    return u(h.value + (v.value ^ (v.value >> 3))).value


def c_ds_hash(x, y=None):
    """1.3's ``ds_get_hash(x, y)``."""
    u = ctypes.c_uint32
    h = u(0)
    for s in (x, y):
        if s is not None:
            h = u(h.value + c_core_sum(s.encode("latin-1")))
    h = h.value
    h = u((h + (h >> 11)) + ((h >> 13) + (h >> 23))).value
    return h or 1


def write_list(tmp_path, lines, name="dispatcher.list"):
    """Write a list file; returns its path."""
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return str(p)


def load(env, list_file, route, params=(), modules=(), extra_routes=""):
    """Load a config with dispatcher (list file) and run child_init(1)."""
    from openser_py.core.scriptrun import load_script
    text = HEAD + "".join('loadmodule "%s.so"\n' % m for m in modules)
    text += 'loadmodule "dispatcher.so"\n'
    text += 'modparam("dispatcher", "list_file", "%s")\n' % list_file
    text += "".join('modparam("dispatcher", "%s", %s)\n' % p for p in params)
    text += "route {\n%s\n}\n%s" % (route, extra_routes)
    s = load_script(text)
    env.append(s)
    s.registry.init_child(1)
    return s


def request(method="INVITE", ruri="sip:bob@example.com", frm="sip:alice@a.com",
            to="sip:bob@example.com", callid="abc123@host", extra=""):
    """A request as bytes."""
    lines = ["%s %s SIP/2.0" % (method, ruri),
             "Via: SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKx1",
             "Max-Forwards: 70", "From: <%s>;tag=a1" % frm, "To: <%s>" % to,
             "Call-ID: %s" % callid, "CSeq: 1 %s" % method]
    if extra:
        lines.append(extra)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def run(script, data, src=("192.0.2.10", 5060)):
    """Run the main route -> (msg, $avp(s:rc))."""
    msg = make_msg(data, src_ip=src[0], src_port=src[1])
    with SendRecorder():
        run_route(script, msg)
    return msg, get_avp_list().search("rc")


module_env = dbenv.module_env
