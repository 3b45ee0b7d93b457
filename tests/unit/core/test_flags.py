"""Message, branch and script flags."""
import pytest

from openser_py.core import dset, flags
from openser_py.core.flags import FlagError
from openser_py.core.script_state import state
from openser_py.parser.msg import parse_msg

INVITE = (b"INVITE sip:bob@example.com SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
          b"From: <sip:a@b.c>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
          b"Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def msg():
    dset.clear_branches()
    state.sflags = 0
    yield parse_msg(INVITE)
    dset.clear_branches()
    state.sflags = 0


def test_message_flags(msg):
    assert msg.flags == 0
    assert flags.isflagset(msg, 3) == -1
    assert flags.setflag(msg, 3) == 1
    assert flags.setflag(msg, 31) == 1
    assert flags.isflagset(msg, 3) == 1
    assert flags.getflags(msg) == (1 << 3) | (1 << 31)
    assert flags.resetflag(msg, 3) == 1
    assert flags.isflagset(msg, 3) == -1
    assert flags.getflags(msg) == 1 << 31


def test_check_flag():
    assert flags.check_flag(0) == 0
    assert flags.check_flag("31") == 31
    assert flags.flag_mask(4) == 16
    assert flags.flag_in_range(31) and not flags.flag_in_range(32)
    for bad in (-1, 32, "x", None, True, "3.5"):
        with pytest.raises(FlagError):
            flags.check_flag(bad)


def test_branch0_flags_on_message(msg):
    assert flags.getb0flags(msg) == 0
    assert flags.setbflag(msg, 2) == 1
    assert flags.isbflagset(msg, 2) == 1
    assert flags.isbflagset(msg, 2, 0) == 1
    assert msg.ctx["bflags0"] == 4
    assert flags.resetbflag(msg, 2) == 1
    assert flags.isbflagset(msg, 2) == -1
    flags.setb0flags(msg, 0x81)
    assert flags.getb0flags(msg) == 0x81


def test_flags_of_appended_branches(msg):
    assert flags.setbflag(msg, 1, branch=1) == -1     # no such branch
    assert flags.isbflagset(msg, 1, branch=1) == -1
    assert flags.resetbflag(msg, 1, branch=1) == -1
    dset.append_branch(msg, "sip:a@x", flags=1)
    assert flags.isbflagset(msg, 0, branch=1) == 1
    assert flags.setbflag(msg, 5, branch=1) == 1
    assert dset.get_branch(0).flags == 1 | 32
    assert flags.resetbflag(msg, 0, branch=1) == 1
    assert dset.get_branch(0).flags == 32
    assert flags.getb0flags(msg) == 0          # branch 0 untouched


def test_script_flags(msg):
    assert flags.issflagset(7) == -1
    assert flags.setsflag(7) == 1
    assert flags.issflagset(7) == 1
    assert flags.getsflags() == 128
    assert flags.resetsflag(7) == 1
    assert flags.getsflags() == 0
    flags.setsflags(5)
    state.start_route(1)
    assert flags.getsflags() == 0              # cleared per route run
