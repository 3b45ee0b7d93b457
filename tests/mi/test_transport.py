"""Transport pieces in-process: the FIFO line reader, reply fifos, async
handlers, datagram handling, module parameters."""
import os
import socket
import stat
import time

import pytest

from openser_py import version
from openser_py.mi.tree import MiRoot
from openser_py.modules import mi_datagram, mi_fifo
from openser_py.modules.mi_datagram import datagram_server as ds
from openser_py.modules.mi_fifo import fifo_server as fs


@pytest.fixture
def pipe():
    r, w = os.pipe()
    os.set_blocking(r, False)
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


def test_line_reader_lines_long_lines_and_timeouts(pipe):
    r, w = pipe
    reader = fs.LineReader(r, max_line=16)
    os.write(w, b"one\ntw")
    assert reader.readline(time.monotonic() + 1) == b"one"
    with pytest.raises(fs.ReadTimeout):
        reader.readline(time.monotonic() + 0.1)
    os.write(w, b"o\n" + b"x" * 40 + b"\nthree\n")
    assert reader.readline(time.monotonic() + 1) == b"two"
    with pytest.raises(fs.LineTooLong):
        reader.readline(time.monotonic() + 1)
    assert reader.readline(time.monotonic() + 1) == b"three"
    # a too long line whose end has not arrived yet is skipped when it does
    os.write(w, b"y" * 20)
    with pytest.raises(fs.ReadTimeout):
        reader.readline(time.monotonic() + 0.1)
    os.write(w, b"yyy\nfour\n")
    with pytest.raises(fs.LineTooLong):
        reader.readline(time.monotonic() + 1)
    assert reader.readline(time.monotonic() + 1) == b"four"


def test_serve_one_answers_through_the_reply_fifo(pipe, tmp_path):
    r, w = pipe
    reply = tmp_path / "rpl"
    os.mkfifo(reply, 0o600)
    rfd = os.open(reply, os.O_RDONLY | os.O_NONBLOCK)
    try:
        os.write(w, b":version:rpl\n\n")
        fs.serve_one(fs.LineReader(r), str(tmp_path) + "/", "  ")
        text = os.read(rfd, 65536).decode()
    finally:
        os.close(rfd)
    assert text.startswith("200 OK\nServer:: OpenSER (%s (" % version.RELEASE)
    assert text.endswith(")\n\n")


def test_reply_fifo_security_checks(tmp_path):
    regular = tmp_path / "file"
    regular.write_text("")
    assert fs.open_reply(str(regular), retries=0) is None
    os.mkfifo(tmp_path / "real")
    os.symlink(tmp_path / "real", tmp_path / "link")
    rfd = os.open(tmp_path / "real", os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert fs.open_reply(str(tmp_path / "link"), retries=0) is None
        os.link(tmp_path / "real", tmp_path / "hard")
        assert fs.open_reply(str(tmp_path / "real"), retries=0) is None
        os.unlink(tmp_path / "hard")
        fd = fs.open_reply(str(tmp_path / "real"), retries=0)
        assert fd is not None
        os.close(fd)
    finally:
        os.close(rfd)
    # nobody reading: bounded retries, then give up
    t0 = time.monotonic()
    assert fs.open_reply(str(tmp_path / "real"), retries=3, wait=0.05) is None
    assert 0.1 < time.monotonic() - t0 < 2


def test_fifo_async_handler_writes_from_anywhere(tmp_path):
    os.mkfifo(tmp_path / "async")
    rfd = os.open(tmp_path / "async", os.O_RDONLY | os.O_NONBLOCK)
    try:
        hdl = fs.FifoAsyncHandler(str(tmp_path / "async"), "\t")
        root = MiRoot(code=200, reason="OK")
        root.add_child("Status", "done")
        assert hdl.reply(root) is True
        assert os.read(rfd, 1000) == b"200 OK\nStatus:: done\n\n"
        assert hdl.reply(None) is True
        assert os.read(rfd, 1000) == b"500 command failed\n"
    finally:
        os.close(rfd)
    assert fs.FifoAsyncHandler("", "\t").reply(MiRoot()) is False


def test_handle_datagram_replies():
    assert ds.handle_datagram(b":version:\n").startswith(
        "200 OK\nServer:: OpenSER")
    assert not ds.handle_datagram(b":version:\n").endswith("\n\n")
    assert ds.handle_datagram(b"version\n") == "400 parse error in command\n"
    assert ds.handle_datagram(b":nope:\n") == "500 command not available\n"
    assert ds.handle_datagram(b':debug:\n"x\n') == \
        "400 parse error in command\n"
    assert ds.handle_datagram(b":debug:\nbad\n") == "400 Bad parameter\n"


def test_datagram_async_handler_and_send_timeout(tmp_path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
        client.bind(str(tmp_path / "c"))
        client.settimeout(2)
        hdl = ds.DatagramAsyncHandler(socket.AF_UNIX, str(tmp_path / "c"),
                                      "\t", 500)
        root = MiRoot()
        root.add_child("A", "1").add_child("B", "2")
        assert hdl.reply(root) is True
        assert client.recv(1000) == b"200 OK\nA:: 1\n\tB:: 2\n"
        # a receiver whose queue is full: the send gives up in time
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as srv:
            t0 = time.monotonic()
            sent = 0
            while ds.send_dgram(srv, str(tmp_path / "c"), b"x" * 4096, 200):
                sent += 1
                assert sent < 100000
            assert time.monotonic() - t0 < 10


def test_parse_socket_name():
    assert mi_datagram.parse_socket_name("/tmp/x.sock") == (
        socket.AF_UNIX, "/tmp/x.sock")
    assert mi_datagram.parse_socket_name("unix:/tmp/y") == (
        socket.AF_UNIX, "/tmp/y")
    assert mi_datagram.parse_socket_name("udp:127.0.0.1:8080") == (
        socket.AF_INET, ("127.0.0.1", 8080))
    for bad in ("udp:127.0.0.1", "udp::80", "udp:1.2.3.4:99999", ""):
        with pytest.raises(ValueError):
            mi_datagram.parse_socket_name(bad)


def test_module_defaults_and_procs():
    assert (mi_fifo.cfg.fifo_name, mi_fifo.cfg.fifo_mode,
            mi_fifo.cfg.reply_dir, mi_fifo.cfg.reply_indent) == (
        "/tmp/openser_fifo", 0o600, "/tmp/", "\t")
    assert [(p.name, p.no) for p in mi_fifo.exports.procs] == [("MI FIFO", 1)]
    saved = mi_datagram.cfg.children_count
    try:
        mi_datagram.cfg.children_count = 3
        assert [(p.name, p.no) for p in mi_datagram.exports.procs] == [
            ("MI Datagram", 3)]
    finally:
        mi_datagram.cfg.children_count = saved
    assert (mi_datagram.cfg.unix_socket_mode, mi_datagram.cfg.socket_timeout
            ) == (0o600, 2000)


def test_fifo_mod_init_replaces_the_file_and_destroy_removes_it(
        tmp_path, global_shm, monkeypatch):
    path = tmp_path / "f"
    path.write_text("old")
    monkeypatch.setattr(mi_fifo.cfg, "fifo_name", str(path))
    monkeypatch.setattr(mi_fifo.cfg, "reply_dir", str(tmp_path))
    assert mi_fifo.mod_init() == 0
    assert stat.S_ISFIFO(os.lstat(path).st_mode)
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    assert mi_fifo._state.reply_dir == str(tmp_path) + "/"
    mi_fifo.destroy()
    assert not path.exists()
    monkeypatch.setattr(mi_fifo.cfg, "reply_dir", str(tmp_path / "none"))
    assert mi_fifo.mod_init() == -1
    monkeypatch.setattr(mi_fifo.cfg, "reply_dir", str(tmp_path))
    monkeypatch.setattr(mi_fifo.cfg, "fifo_user", "no_such_user_here")
    assert mi_fifo.mod_init() == -1
    assert not path.exists()
