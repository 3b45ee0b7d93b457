"""The "Prometheus HTTP" process: ``/metrics`` and ``/healthz``.

stdlib :mod:`http.server` on the socket the master bound in ``mod_init``
(so a busy port fails the start-up, before any fork).  One request at a
time; a client gets :data:`CLIENT_TIMEOUT` seconds to send its request.

* ``GET /metrics`` -- 200, the exposition text (:mod:`.exposition`);
* ``GET /healthz`` -- 200 ``ok`` when every process of the process table
  is alive, else 503 and one ``dead: <pid> <description>`` line each;
* anything else -- 404 (405 for methods other than GET/HEAD).
"""
import http.server
import os

from openser_py.core import pt
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.modules.prometheus import exposition

CLIENT_TIMEOUT = 5


def dead_processes():
    """``[(pid, description)]`` of process-table rows whose pid is gone."""
    out = []
    for _idx, pid, _rank, desc, _alive in pt.rows():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            out.append((pid, desc))
        except PermissionError:
            pass
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    """GET/HEAD of ``/metrics`` and ``/healthz``."""

    server_version = "openser-prometheus"
    timeout = CLIENT_TIMEOUT
    protocol_version = "HTTP/1.0"

    def _send(self, code, body, ctype="text/plain; charset=utf-8"):
        data = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):  # noqa: N802 - http.server API
        path = self.path.split("?", 1)[0]
        cfg = self.server.cfg
        if path == "/metrics":
            try:
                body = exposition.render(cfg.prefix or "",
                                         bool(cfg.process_metrics))
            except Exception as exc:  # noqa: BLE001 - answer 500, go on
                LM_ERR("cannot render metrics: %s: %s",
                       type(exc).__name__, exc)
                self._send(500, "cannot render metrics\n")
                return
            self._send(200, body, exposition.CONTENT_TYPE)
        elif path == "/healthz":
            dead = dead_processes()
            if dead:
                self._send(503, "".join("dead: %d %s\n" % d for d in dead))
            else:
                self._send(200, "ok\n")
        else:
            self._send(404, "not found\n")

    do_HEAD = do_GET

    def do_POST(self):  # noqa: N802
        self._send(405, "method not allowed\n")

    do_PUT = do_DELETE = do_PATCH = do_POST

    def log_message(self, fmt, *args):
        LM_DBG("prometheus: %s %s", self.address_string(), fmt % args)


class _Server(http.server.HTTPServer):
    """HTTPServer on an already bound and listening socket."""

    def __init__(self, sock, cfg):
        super().__init__(sock.getsockname()[:2], Handler,
                         bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.cfg = cfg

    def service_actions(self):
        pt.touch()                   # heartbeat for MI ps / the metrics

    def handle_error(self, request, client_address):
        LM_ERR("prometheus: error serving %s", client_address[0])


def serve(sock, cfg):
    """Serve forever (until SIGTERM ends the process)."""
    srv = _Server(sock, cfg)
    srv.serve_forever(poll_interval=0.5)
