"""`make dbschema-docbook`: doc/database/ is generated from the schema and
committed; it must not drift."""
import os
import xml.dom.minidom

import pytest

from openser_py.db import schema
from openser_py.db.schema import docbook
from openser_py.tools import docgen

FILES = docbook.outputs()


@pytest.mark.parametrize("name", sorted(FILES))
def test_committed_docs_match_schema(name):
    path = os.path.join(docbook.OUT_DIR, name)
    with open(path, encoding="utf-8") as fh:
        assert fh.read() == FILES[name], \
            "run `make dbschema-docbook` and commit doc/database/"


@pytest.mark.parametrize("group", ["standard", "presence", "extra"])
def test_docbook_is_wellformed_and_complete(group):
    dom = xml.dom.minidom.parseString(FILES["%s.xml" % group])
    titles = [s.getElementsByTagName("title")[0].firstChild.data
              for s in dom.getElementsByTagName("section")]
    assert titles == [t.name for t in schema.tables(group)]


def test_readme_lists_every_table_and_column():
    text = FILES["README.md"]
    for tab in schema.tables("all"):
        assert "\n### %s\n" % tab.name in text
        section = text.split("\n### %s\n" % tab.name, 1)[1].split("\n### ")[0]
        for col in tab.columns:
            assert "\n| %s | " % col.name in section, (tab.name, col.name)
    assert "| standard | [location](#location) | 1004 | usrloc |" in text


def test_docgen_target_writes_the_files(tmp_path, monkeypatch):
    calls = []

    def fake_main():
        calls.append(1)
        return 0
    monkeypatch.setattr(docbook, "main", fake_main)
    assert docgen.main(["dbschema-docbook"]) == 0
    assert calls == [1]
    assert docbook.OUT_DIR.endswith(os.path.join("doc", "database"))


def test_main_writes_into_out_dir(tmp_path, capsys):
    assert docbook.main(out_dir=str(tmp_path)) == 0
    assert sorted(os.listdir(tmp_path)) == sorted(FILES)
    for name, text in FILES.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text
