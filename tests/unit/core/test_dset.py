"""Destination set: branches, limits, q values, print_dset."""
import pytest

from openser_py.core import dset
from openser_py.core.dset import (
    MAX_BRANCHES, Q_UNSPECIFIED, QValueError, append_branch,
    clear_branches, get_branch, get_branches, nr_branches, print_dset,
    q2str, str2q, sort_by_q)
from openser_py.core.errors import (
    E_TOO_MANY_BRANCHES, E_Q_DEC_MISSING, E_Q_EMPTY, E_Q_INV_CHAR,
    E_Q_TOO_BIG)
from openser_py.parser.msg import parse_msg

INVITE = (b"INVITE sip:bob@example.com SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
          b"From: <sip:a@b.c>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
          b"Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def msg():
    clear_branches()
    yield parse_msg(INVITE)
    clear_branches()


def test_append_from_ruri_and_explicit(msg):
    assert append_branch(msg) == 1
    assert get_branch(0).uri == "sip:bob@example.com"
    msg.new_uri = "sip:carol@example.com"
    assert append_branch(msg) == 1
    assert get_branch(1).uri == "sip:carol@example.com"
    assert append_branch(msg, "sip:d@x", "sip:proxy", "<sip:p;lr>", 500,
                         0x4, "sock") == 1
    br = get_branch(2)
    assert (br.uri, br.dst_uri, br.path, br.q, br.flags, br.force_socket) \
        == ("sip:d@x", "sip:proxy", "<sip:p;lr>", 500, 4, "sock")
    assert nr_branches() == 3
    assert get_branch(3) is None and get_branch(-1) is None


def test_get_branches_is_a_copy(msg):
    append_branch(msg, "sip:a@x")
    lst = get_branches()
    lst.clear()
    assert nr_branches() == 1


def test_max_branches(msg):
    for i in range(MAX_BRANCHES - 1):
        assert append_branch(msg, "sip:u%d@x" % i) == 1
    assert append_branch(msg, "sip:too@many") == E_TOO_MANY_BRANCHES
    assert nr_branches() == MAX_BRANCHES - 1


def test_too_long(msg):
    assert append_branch(msg, "sip:" + "a" * 1100) < 0
    assert append_branch(msg, "sip:a@b", path="x" * 300) < 0
    assert append_branch(msg, "sip:a@b", dst_uri="sip:" + "d" * 1100) < 0
    assert nr_branches() == 0


def test_clear_resets_q(msg):
    append_branch(msg, "sip:a@x")
    dset.set_ruri_q(300)
    clear_branches()
    assert nr_branches() == 0
    assert dset.get_ruri_q() == Q_UNSPECIFIED


def test_q2str():
    assert q2str(Q_UNSPECIFIED) == ""
    assert q2str(1000) == "1"
    assert q2str(1500) == "1"
    assert q2str(0) == "0"
    assert q2str(500) == "0.5"
    assert q2str(250) == "0.25"
    assert q2str(125) == "0.125"
    assert q2str(5) == "0.005"
    assert q2str(50) == "0.05"


@pytest.mark.parametrize("text,q", [
    ("0", 0), ("1", 1000), ("0.5", 500), ("0.25", 250), (".7", 700),
    ("1.0", 1000), ("1.000", 1000), ("0.1234", 123), ("  0.3", 300),
    ("000.5", 500), ("01", 1000), ("0.000", 0)])
def test_str2q(text, q):
    assert str2q(text) == q


@pytest.mark.parametrize("text,code", [
    ("", E_Q_EMPTY), ("  ", E_Q_EMPTY), ("02", E_Q_TOO_BIG),
    ("2", E_Q_INV_CHAR),
    ("1.5", E_Q_TOO_BIG), ("11", E_Q_TOO_BIG), ("0.", E_Q_DEC_MISSING),
    ("1.", E_Q_DEC_MISSING), (".", E_Q_DEC_MISSING), ("a", E_Q_INV_CHAR),
    ("0.5 ", E_Q_INV_CHAR), ("0.x", E_Q_INV_CHAR), ("1x", E_Q_INV_CHAR)])
def test_str2q_errors(text, code):
    with pytest.raises(QValueError) as err:
        str2q(text)
    assert err.value.code == code


def test_sort_by_q(msg):
    append_branch(msg, "sip:a@x", q=100)
    append_branch(msg, "sip:b@x")
    append_branch(msg, "sip:c@x", q=900)
    append_branch(msg, "sip:d@x", q=100)
    assert [b.uri for b in sort_by_q(get_branches())] == [
        "sip:c@x", "sip:a@x", "sip:d@x", "sip:b@x"]
    pairs = [("x", 5), ("y", 7)]
    assert sort_by_q(pairs, key=lambda p: p[1]) == [("y", 7), ("x", 5)]


def test_print_dset(msg):
    assert print_dset(msg) is None
    append_branch(msg, "sip:a@x")
    assert print_dset(msg) == "Contact: sip:a@x\r\n"
    append_branch(msg, "sip:b@x", q=500)
    assert print_dset(msg) == "Contact: sip:a@x, <sip:b@x>;q=0.5\r\n"
    msg.new_uri = "sip:new@x"
    dset.set_ruri_q(1000)
    assert print_dset(msg) == ("Contact: <sip:new@x>;q=1, sip:a@x, "
                               "<sip:b@x>;q=0.5\r\n")


def test_print_dset_too_long(msg):
    for i in range(8):
        append_branch(msg, "sip:%s@example.com" % ("u" * 60 + str(i)))
    assert print_dset(msg) is None


def test_branch_uri2dset_and_save_restore(msg):
    append_branch(msg, "sip:a@x")
    saved = dset.save_dset()
    assert dset.branch_uri2dset("sip:gw@y") == 0
    assert (get_branch(0).uri, get_branch(0).dst_uri) == ("sip:gw@y",
                                                          "sip:a@x")
    dset.restore_dset(saved)
    assert get_branch(0).uri == "sip:a@x" and get_branch(0).dst_uri is None


def test_request_uri_helpers(msg):
    assert dset.get_request_uri(msg) == "sip:bob@example.com"
    assert dset.rewrite_uri(msg, "sip:x@y") == 1
    assert dset.get_request_uri(msg) == "sip:x@y"
