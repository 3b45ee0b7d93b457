"""HDR_I / BR_I (index writes used when a cell or branch is filled in)
name the same list slots as the field properties."""
from openser_py.modules.tm import cell as C


def test_index_writes_are_property_writes():
    for cls, fields, index in ((C.Cell, C.HDR_FIELDS, C.HDR_I),
                               (C.Branch, C.BR_FIELDS, C.BR_I)):
        assert list(index) == [n for n, _ in fields]
        for n, (name, fmt) in enumerate(fields):
            by_index, by_prop = cls(), cls()
            value = 2.5 if fmt == "d" else n + 1
            by_index[index[name]] = value
            setattr(by_prop, name, value)
            assert by_index == by_prop
            assert getattr(by_index, name) == value


def test_encoded_cell_reads_back_through_properties():
    c = C.Cell()
    c[C.HDR_I["method_id"]] = 1
    c[C.HDR_I["uas_port"]] = 5060
    c[C.HDR_I["created"]] = 12.25
    b = C.Branch()
    b[C.BR_I["fr_h"]] = 7 << 32 | 3
    b[C.BR_I["state"]] = 2
    c.branches.append(b)
    d = C.decode(C.encode(c))
    assert (d.method_id, d.uas_port, d.created) == (1, 5060, 12.25)
    assert d.branches[0].fr_h == 7 << 32 | 3 and d.branches[0].state == 2
