"""The cell codec: round trips, bounds, corruption, partial access, speed."""
import struct
import timeit

import pytest

from openser_py.core.usr_avp import AvpList
from openser_py.modules.tm import cell as C

from .conftest import make_cell, req


def full_cell(n_branches=12, big=False):
    c = make_cell(req(), branches=n_branches, local_totag="x-1234")
    c.hash_index, c.label, c.flags = 65535, 0xFFFFFFFF, C.T_IS_INVITE | C.T_CANCELED
    c.msg_flags, c.uas_status, c.relayed_branch = 0xFFFFFFFF, 487, -2
    c.on_failure, c.on_reply, c.on_branch = 1, 2, 3
    c.created, c.wait_due, c.uas_retr_h = 12.5, 17.25, (7 << 32) | 9
    c.reply = b"SIP/2.0 487 Request Terminated\r\n\r\n"
    c.new_uri, c.dst_uri, c.path = "sip:x@y", "sip:proxy;lr", "<sip:p;lr>"
    avps = AvpList()
    avps.add("caller", "alice")
    avps.add(12, 34, 1 << 8)
    c.avps = avps.to_bytes()
    for i, b in enumerate(c.branches):
        b.status, b.bflags, b.proto, b.port = 180 + i, 1 << i, 1, 5060 + i
        b.retr_h, b.fr_due, b.state = i + 1, 100.0 + i, 3
        b.dst_ip, b.cancel = "10.0.0.%d" % i, b"CANCEL" * i
        if big:
            b.buffer = b"b" * C.MAX_MSG
            b.reply = b"r" * C.MAX_MSG
    if big:
        c.request = b"q" * C.MAX_MSG
    return c


def same(a, b):
    assert list(a) == list(b)
    assert a.match == b.match
    for n in ("request", "reply", "dst_ip", "new_uri", "dst_uri", "path",
              "avps"):
        assert getattr(a, n) == getattr(b, n), n
    assert len(a.branches) == len(b.branches)
    for x, y in zip(a.branches, b.branches):
        assert list(x) == list(y)
        for n in ("buffer", "uri", "dst_ip", "cancel", "reply", "dst_uri",
                  "path"):
            assert getattr(x, n) == getattr(y, n), n


@pytest.mark.parametrize("n", [0, 1, 2, 12])
def test_round_trip(n):
    c = full_cell(n)
    data = C.encode(c)
    d = C.decode(data)
    d.magic  # noqa: B018 - the header keeps magic and version
    assert (d.magic, d.version, d.nr_branches) == (C.MAGIC, C.VERSION, n)
    c.nr_branches = n
    for i in range(C.N_SECTIONS):        # lengths are computed by encode
        c[len(C.HDR_FIELDS) - C.N_SECTIONS + i] = d[
            len(C.HDR_FIELDS) - C.N_SECTIONS + i]
    assert d.rpl_len == len(c.reply)     # the reply tail, after them
    c.rpl_len = d.rpl_len
    same(c, d)
    assert C.encode(d) == data
    assert AvpList.from_bytes(d.avps).search_first("caller").value == "alice"


def test_round_trip_from_memoryview_and_large_buffers():
    c = full_cell(12, big=True)
    data = C.encode(c)
    assert len(data) > 25 * C.MAX_MSG
    d = C.decode(memoryview(data))
    assert d.branches[11].buffer == b"b" * C.MAX_MSG
    assert d.request == b"q" * C.MAX_MSG
    assert C.decode_match(memoryview(data)) == c.match


def test_defaults():
    c = C.Cell()
    assert (c.relayed_branch, c.uas_status, c.flags, c.branches) == (-1, 0, 0, [])
    d = C.decode(C.encode(c))
    assert d.relayed_branch == -1 and d.match == c.match


@pytest.mark.parametrize("what", ["request", "reply", "buffer", "cancel",
                                  "breply", "uri", "avps", "branches",
                                  "match", "field"])
def test_bounds(what):
    c = full_cell(1)
    b = c.branches[0]
    too_big = b"x" * (C.MAX_MSG + 1)
    if what in ("request", "reply"):
        setattr(c, what, too_big)
    elif what in ("buffer", "cancel"):
        setattr(b, what, too_big)
    elif what == "breply":
        b.reply = too_big
    elif what == "uri":
        b.uri = "sip:" + "u" * C.MAX_STR
    elif what == "avps":
        c.avps = too_big
    elif what == "branches":
        c.branches = [C.Branch() for _ in range(13)]
    elif what == "match":
        c.match = c.match._replace(callid="c" * C.MAX_MATCH)
    else:
        c.uas_status = 70000            # does not fit its u16
    with pytest.raises(C.CellError):
        C.encode(c)


@pytest.mark.parametrize("mangle", ["short", "magic", "version", "nrb",
                                    "length", "trailing", "section"])
def test_corrupt_records_are_rejected(mangle):
    data = bytearray(C.encode(full_cell(2)))
    if mangle == "short":
        data = data[:20]
    elif mangle == "magic":
        data[0] ^= 0xFF
    elif mangle == "version":
        data[2] = 99
    elif mangle == "nrb":
        data[3] = 13
    elif mangle == "length":
        struct.pack_into("<I", data, C.LENS_OFF, 5)
    elif mangle == "trailing":
        data += b"x"
    else:
        off, n = C.section_span(bytes(data), C.SEC_UAS)
        data[off:off + n] = b"\x00" * n
    with pytest.raises(C.CellError):
        C.decode(bytes(data))


def test_splice_and_add_branch():
    c = full_cell(1)
    data = C.encode(c)
    c.new_uri = "sip:changed@example.com"
    data2 = C.splice_section(data, C.SEC_UAS, C.encode_section(C.SEC_UAS, c))
    assert C.decode(data2).new_uri == c.new_uri
    assert C.decode(data2).reply == c.reply     # the tail moved along
    b = C.Branch()
    b.uri, b.status, b.flags = "sip:new@host", 0, C.BR_ACTIVE
    data3 = C.add_branch_record(data2, b)
    d = C.decode(data3)
    assert [x.uri for x in d.branches] == ["sip:bob@10.0.0.1", "sip:new@host"]
    assert d.reply == c.reply and d.match == c.match
    assert d.new_uri == c.new_uri
    off, n = C.reply_span(data3, 0, len(data3))      # still the tail
    assert (data3[off:], n) == (c.reply, len(c.reply))
    full = C.encode(full_cell(12))
    with pytest.raises(C.CellError):
        C.add_branch_record(full, b)


def test_field_offsets_cover_the_structs():
    assert C.HDR_OFF["len0"][1] == C.LENS_OFF
    assert sum(st.size for st, _ in C.HDR_OFF.values()) == C.HDR_SIZE
    assert sum(st.size for st, _ in C.BR_OFF.values()) == C.BR_SIZE
    data = C.encode(full_cell(3))
    for name, (st, off) in C.HDR_OFF.items():
        assert st.unpack_from(data, off)[0] == getattr(C.decode(data), name)


def test_codec_speed_typical_cell():
    """A typical cell (1 branch, ~1 KB messages) codes in a few us."""
    c = make_cell(req(body="v=0\r\n" * 150), branches=1)
    c.avps = AvpList().to_bytes()
    data = C.encode(c)
    enc = min(timeit.repeat(lambda: C.encode(c), number=2000, repeat=5)) / 2000
    dec = min(timeit.repeat(lambda: C.decode(data), number=2000, repeat=5)) / 2000
    print("cell %d bytes: encode %.2f us, decode %.2f us"
          % (len(data), enc * 1e6, dec * 1e6))
    assert enc < 50e-6 and dec < 50e-6      # generous: shared CI machines
