"""tm MI commands in a real server through mi_fifo: t_uac_dlg sends a
request from the MI process to a UDP socket of the test; the 200 the test
answers (to the SIP port, any worker) completes the local transaction and
the asynchronous MI reply comes then; t_hash shows the transaction."""
import socket
import threading

import pytest

from openser_py.ctl.mi_client.fifo import fifo_request
from tests.conftest import free_port
from tests.integration.conftest import OpenserProcess
from tests.modules.tm.proxy_util import (first_line, header,
                                         wait_mi_fifo)


@pytest.fixture
def server(tmp_path):
    srv = OpenserProcess(
        tmp_path, 'sl_send_reply("200", "OK");', modules=("sl",),
        extra='loadmodule "tm.so"\nloadmodule "mi_fifo.so"\n'
              'modparam("mi_fifo", "fifo_name", "%s/fifo")\n'
              'modparam("mi_fifo", "reply_dir", "%s/")\n'
              'modparam("tm", "wt_timer", 1)\n' % (tmp_path, tmp_path))
    srv.start()
    srv.fifo, srv.dir = str(tmp_path / "fifo"), str(tmp_path) + "/"
    wait_mi_fifo(srv, srv.fifo, srv.dir)
    yield srv
    assert srv.stop() == 0
    srv.close()


def mi(srv, text):
    return fifo_request(srv.fifo, text, 5, reply_dir=srv.dir)


def test_t_uac_dlg_and_t_hash(server):
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", free_port()))
    peer.settimeout(5)
    try:
        port = peer.getsockname()[1]
        result = []
        # FIFO is asynchronous: the MI reply comes once the 200 is in
        th = threading.Thread(target=lambda: result.append(mi(
            server, ':t_uac_dlg:\nOPTIONS\nsip:t@127.0.0.1:%d\n.\n.\n'
            '"From: <sip:mi@127.0.0.1>\r\nTo: <sip:t@127.0.0.1>\r\n"\n\n'
            % port)))
        th.start()
        req, src = peer.recvfrom(65535)
        assert first_line(req) == "OPTIONS sip:t@127.0.0.1:%d SIP/2.0" % port
        assert src[1] == server.port            # sent from the SIP socket
        rpl = ["SIP/2.0 200 OK"] + [
            "%s: %s" % (n, header(req, n)[0])
            for n in ("Via", "From", "To", "Call-ID", "CSeq")]
        peer.sendto(("\r\n".join(rpl) + "\r\nContent-Length: 0\r\n\r\n")
                    .encode(), ("127.0.0.1", server.port))
        th.join(10)
        out = result[0].splitlines()
        assert out[:5] == ["200 OK", "200 OK", ".", ".", "."], result
        # the transaction completed: no retransmission comes
        peer.settimeout(1.2)
        with pytest.raises(socket.timeout):
            peer.recvfrom(65535)
    finally:
        peer.close()
    out = mi(server, ":t_hash:\n\n")
    lines = [ln for ln in out.splitlines() if ln]
    assert lines[0] == "200 OK" and len(lines) == 65536 + 1
    assert lines[1].startswith("0 Current=")
    totals = [ln for ln in lines[1:] if "Total=1" in ln]
    assert len(totals) == 1 and "Current=" in totals[0]
    out = mi(server, ":t_uac_cancel:\nnope\n1\n\n")
    assert out.startswith("481 No such transaction"), out
