"""AVP lists, names, aliases, the current-list pointer and marshalling."""
import marshal

import pytest

from openser_py.core import usr_avp
from openser_py.core.usr_avp import (
    AVP_NAME_STR, AVP_VAL_STR, AvpError, AvpList, add_avp_galias,
    add_avp_galias_str, avp_script_flags, clear_avp_galiases,
    get_avp_list, lookup_avp_galias, parse_avp_name, parse_avp_spec,
    reset_avps, set_avp_list)


@pytest.fixture(autouse=True)
def _clean():
    reset_avps()
    clear_avp_galiases()
    yield
    reset_avps()
    clear_avp_galiases()


def test_stack_newest_first():
    lst = AvpList()
    lst.add("x", "a")
    lst.add("x", 2)
    lst.add("x", "c")
    assert lst.search("x") == "c"
    assert lst.search_all("x") == ["c", 2, "a"]
    assert lst.values("x") == ["c", 2, "a"]
    assert lst.search_index("x", 1) == 2
    assert lst.search_index("x", -1) == "a"
    assert lst.search_index("x", 3) is None
    assert lst.search_index("x", -4) is None
    assert lst.count("x") == 3
    assert len(lst) == 3


def test_int_and_str_names_are_distinct():
    lst = AvpList()
    lst.add(12, "int-name")
    lst.add("12", "str-name")
    assert lst.search(12) == "int-name"
    assert lst.search("12") == "str-name"


def test_str_names_case_insensitive():
    lst = AvpList()
    lst.add("Foo", 1)
    assert lst.search("foo") == 1
    assert lst.search("FOO") == 1
    assert "fOO" in lst
    assert lst.delete("FOO") == 1
    assert lst.search("Foo") is None


def test_unset_is_none():
    lst = AvpList()
    assert lst.search("nope") is None
    assert lst.search_all("nope") == []
    assert lst.delete("nope") == 0
    assert not lst


def test_delete_one_and_all():
    lst = AvpList()
    for i in range(4):
        lst.add("x", i)
    lst.add("y", "keep")
    assert lst.delete("x") == 1
    assert lst.search_all("x") == [2, 1, 0]
    assert lst.delete("x", all=True) == 3
    assert lst.search("x") is None
    assert lst.search("y") == "keep"


def test_flags_set_from_types():
    lst = AvpList()
    a = lst.add("s", "v")
    b = lst.add(5, 7)
    assert a.flags & AVP_NAME_STR and a.flags & AVP_VAL_STR
    assert not b.flags & (AVP_NAME_STR | AVP_VAL_STR)
    assert a.is_str_name and a.is_str_value
    assert not b.is_str_name and not b.is_str_value


def test_script_flags_filter():
    lst = AvpList()
    lst.add("x", "plain")
    lst.add("x", "flagged", avp_script_flags(2))
    lst.add("x", "newest")
    f2 = avp_script_flags(2)
    assert lst.search("x") == "newest"
    assert lst.search("x", f2) == "flagged"
    assert lst.search_all("x", f2) == ["flagged"]
    assert lst.search_first("x", f2).script_flags == 2
    assert lst.delete("x", all=True, flags=f2) == 1
    assert lst.search_all("x") == ["newest", "plain"]


def test_search_first_next_and_remove():
    lst = AvpList()
    lst.add(7, "a")
    lst.add("other", 0)
    lst.add(7, "b")
    first = lst.search_first(7)
    assert first.value == "b"
    nxt = lst.search_next(first)
    assert nxt.value == "a"
    assert lst.search_next(nxt) is None
    assert lst.remove(first)
    assert not lst.remove(first)
    assert lst.search(7) == "a"


def test_items_newest_first_across_names():
    lst = AvpList()
    lst.add("a", 1)
    lst.add("b", 2)
    lst.add("a", 3)
    assert [(x.name, x.value) for x in lst.items()] == [
        ("a", 3), ("b", 2), ("a", 1)]
    assert [x.value for x in lst] == [3, 2, 1]


def test_invalid_names_and_values():
    lst = AvpList()
    with pytest.raises(AvpError):
        lst.add(0, "x")
    with pytest.raises(AvpError):
        lst.add("", "x")
    with pytest.raises(AvpError):
        lst.add(1.5, "x")
    with pytest.raises(AvpError):
        lst.add("x", 1.5)
    with pytest.raises(AvpError):
        lst.add("x", None)


def test_value_normalisation():
    class S(str):
        pass
    lst = AvpList()
    lst.add("x", S("sub"))
    lst.add("y", True)
    assert type(lst.search("x")) is str
    assert lst.search("y") == 1 and type(lst.search("y")) is int


def test_parse_avp_name():
    assert parse_avp_name("i:12") == (12, 0)
    assert parse_avp_name("I:12") == (12, 0)
    assert parse_avp_name("s:Foo") == ("Foo", 0)
    assert parse_avp_name("i3:5") == (5, avp_script_flags(3))
    assert parse_avp_name("s10:x") == ("x", avp_script_flags(10))
    assert parse_avp_name("s:a:b") == ("a:b", 0)
    for bad in ("", "x:1", "i:", "i:abc", "i:0", "s:", "ix:1", "name"):
        with pytest.raises(AvpError):
            parse_avp_name(bad)


def test_aliases():
    add_avp_galias_str(" uuid = s:uuid ; caller=i:12")
    assert lookup_avp_galias("UUID") == ("uuid", 0)
    assert parse_avp_spec("caller") == (12, 0)
    assert parse_avp_spec("s:direct") == ("direct", 0)
    with pytest.raises(AvpError):
        parse_avp_spec("unknown")
    with pytest.raises(AvpError):
        add_avp_galias("Caller", 99)          # duplicate alias
    with pytest.raises(AvpError):
        add_avp_galias("again", 12)           # AVP already aliased
    for bad in ("", "a", "a=", "=i:1", "a=i:1;", "a b=i:1", "a=x:1"):
        clear_avp_galiases()
        with pytest.raises(AvpError):
            add_avp_galias_str(bad)


def test_current_list_switching():
    glob = get_avp_list()
    usr_avp.add_avp("x", "global")
    trans = AvpList()
    old = set_avp_list(trans)
    assert old is glob
    assert get_avp_list() is trans
    assert usr_avp.search_first_avp("x") is None
    usr_avp.add_avp("x", "trans")
    assert trans.search("x") == "trans"
    assert set_avp_list(old) is trans
    assert usr_avp.search_first_avp("x") == "global"
    assert usr_avp.destroy_avps("x") == 1
    with pytest.raises(TypeError):
        set_avp_list({})


def test_reset_avps_returns_to_global_and_empties():
    glob = get_avp_list()
    glob.add("x", 1)
    set_avp_list(AvpList())
    reset_avps()
    assert get_avp_list() is glob
    assert not glob


def test_marshal_roundtrip():
    lst = AvpList()
    lst.add("Name", "v\x00\xff")
    lst.add(3, 42)
    lst.add("name", -7, avp_script_flags(1) | 0x10)
    data = lst.to_bytes()
    assert isinstance(data, bytes)
    back = AvpList.from_bytes(data)
    assert back == lst
    assert back.search_all("NAME") == [-7, "v\x00\xff"]
    assert back.search_first("name").flags & 0x10
    assert AvpList.from_bytes(AvpList().to_bytes()) == AvpList()


def test_marshal_rejects_garbage():
    with pytest.raises(AvpError):
        AvpList.from_bytes(b"\x00garbage")
    with pytest.raises(AvpError):
        AvpList.from_bytes(marshal.dumps((99, [])))


def test_copy_is_independent():
    lst = AvpList()
    lst.add("x", 1)
    cp = lst.copy()
    cp.add("x", 2)
    assert lst.search_all("x") == [1]
    assert cp.search_all("x") == [2, 1]
