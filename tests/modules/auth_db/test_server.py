"""A real multi-process server: auth + auth_db on SQLite with 4 UDP
workers (mod_init before fork, child_init DB connections after)."""
import socket

from tests.integration.conftest import OpenserProcess
from tests.modules.auth.authutil import credentials, parse_challenge, request
from tests.modules.auth_db import dbenv
from tests.modules.auth_db.data import SUBSCRIBER_KEYS, SUBSCRIBERS

ROUTE = '''
if (!www_authorize("", "subscriber")) { www_challenge("", "1"); exit; }
sl_send_reply("200", "OK");
'''


def test_register_digest_and_nc_replay_across_workers(tmp_path):
    with dbenv.make_db("sqlite", tmp_path, ["subscriber"]) as url:
        dbenv.insert_rows(url, "subscriber", SUBSCRIBER_KEYS, SUBSCRIBERS)
        srv = OpenserProcess(
            tmp_path, ROUTE, modules=(), children=4,
            extra='loadmodule "sl.so"\nloadmodule "auth.so"\n'
            'loadmodule "auth_db.so"\nmodparam("auth_db", "db_url", "%s")'
            % url)
        try:
            srv.start()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0))
                s.settimeout(5)
                via = "127.0.0.1:%d" % s.getsockname()[1]
                dst = ("127.0.0.1", srv.port)

                def send(data):
                    s.sendto(data, dst)
                    return s.recvfrom(65535)[0]

                reply = send(request(via=via))
                assert reply.startswith(b"SIP/2.0 401 Unauthorized\r\n")
                _k, realm, nonce, qop, _st = parse_challenge(reply)
                assert qop
                cred = credentials("alice", realm, "pw", nonce, qop="auth")
                for i in range(8):          # a burst: several workers
                    s.sendto(request(via=via, auth=[cred], callid="c%d" % i),
                             dst)
                codes = [s.recvfrom(65535)[0][:12] for _ in range(8)]
                assert codes.count(b"SIP/2.0 200 ") == 1
                assert codes.count(b"SIP/2.0 401 ") == 7
                bad = credentials("alice", realm, "wrong", nonce, qop="auth",
                                  nc="00000002")
                assert send(request(via=via, auth=[bad]))[:12] == \
                    b"SIP/2.0 401 "
                nc2 = credentials("alice", realm, "pw", nonce, qop="auth",
                                  nc="00000002")
                assert send(request(via=via, auth=[nc2]))[:12] == \
                    b"SIP/2.0 200 "
            assert srv.stop() == 0
            assert not srv.leftovers()
        finally:
            srv.close()
