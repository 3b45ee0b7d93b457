"""The list file: syntax, comments, set order, errors with file:line."""
import pytest

from openser_py.modules.dispatcher import ds_list
from tests.modules.dispatcher.dsutil import load, write_list


def test_parse_lines_comments_and_trailing_text():
    text = ("# comment\n\n  1 sip:10.0.0.1:5070\n"
            "1\tsip:10.0.0.2;transport=udp   description here\n"
            "2 sip:gw.example.com#inline comment\n   # indented comment\n")
    assert ds_list.parse_list_text(text, "x.list") == [
        (1, "sip:10.0.0.1:5070", 3),
        (1, "sip:10.0.0.2;transport=udp", 4),
        (2, "sip:gw.example.com", 5)]


@pytest.mark.parametrize("line,what", [
    ("sip:10.0.0.1", "bad set id"),
    ("7", "no destination"),
    ("7   # only a comment", "no destination"),
])
def test_syntax_errors_name_file_and_line(line, what):
    with pytest.raises(ds_list.DsListError) as ei:
        ds_list.parse_list_text("# ok\n1 sip:10.0.0.1\n" + line + "\n",
                                "/etc/ds.list")
    assert str(ei.value).startswith("/etc/ds.list:3: ")
    assert what in str(ei.value)


def test_bad_uri_and_unresolvable_host(tmp_path):
    p = write_list(tmp_path, ["1 sip:10.0.0.1", "1 http://10.0.0.2/"])
    with pytest.raises(ds_list.DsListError, match=r"dispatcher.list:2: bad "
                       r"uri \[http://10.0.0.2/\]"):
        ds_list.load_file(p)
    p = write_list(tmp_path, ["", "2 sip:no-such-host.invalid"])
    with pytest.raises(ds_list.DsListError,
                       match=r":2: could not resolve no-such-host.invalid"):
        ds_list.load_file(p)


def test_sets_order_and_default_ports(tmp_path):
    p = write_list(tmp_path, ["1 sip:127.0.0.1:5070", "2 sips:127.0.0.2",
                              "1 sip:127.0.0.3"])
    assert ds_list.load_file(p) == (
        (2, (("sips:127.0.0.2", "127.0.0.2", 5061),)),
        (1, (("sip:127.0.0.1:5070", "127.0.0.1", 5070),
             ("sip:127.0.0.3", "127.0.0.3", 5060))))


def test_missing_file_fails_mod_init(env, tmp_path):
    with pytest.raises(ValueError, match="mod_init of module dispatcher"):
        load(env, str(tmp_path / "nope.list"), "ds_select_dst(\"1\", \"0\");")


def test_bad_file_fails_mod_init(env, tmp_path):
    p = write_list(tmp_path, ["1 sip:127.0.0.1", "x sip:127.0.0.2"])
    with pytest.raises(ValueError, match="mod_init of module dispatcher"):
        load(env, p, "ds_select_dst(\"1\", \"0\");")


def test_bad_script_parameters(env, tmp_path):
    p = write_list(tmp_path, ["1 sip:127.0.0.1"])
    with pytest.raises(ValueError, match="Bad number"):
        load(env, p, 'ds_select_dst("one", "0");')
    with pytest.raises(ValueError, match="Unsupported"):
        load(env, p, 'ds_select_dst("$ru", "0");')
    with pytest.raises(ValueError, match="mod_init of module dispatcher"):
        load(env, p, 'ds_select_dst("1", "0");',
             params=[("dst_avp", '"$ru"')])
