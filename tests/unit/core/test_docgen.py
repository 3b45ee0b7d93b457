"""Generated module documentation: complete and in sync with the exports."""
import os

import pytest

from openser_py.core.sr_module import ModuleRegistry
from openser_py.tools import docgen

MODULES = docgen.builtin_modules()


def test_there_are_builtin_modules():
    assert {"sl", "maxfwd", "textops", "uri", "xlog", "avpops"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_committed_readme_matches_exports(name):
    """`make modules-readme` output is committed; it must not drift."""
    mod = ModuleRegistry().load(name)
    path = os.path.join(docgen.MODULES_DIR, name, "README")
    with open(path, encoding="utf-8") as fh:
        assert fh.read() == docgen.render_readme(mod), \
            "run `make modules-readme` and commit the result"


@pytest.mark.parametrize("name", MODULES)
def test_readme_sections_in_openser_order(name):
    text = docgen.render_readme(ModuleRegistry().load(name))
    heads = [l for l in text.splitlines() if l[:2] in ("1.", "2.", "3.", "4.",
                                                      "5.", "6.")]
    assert heads == ["1. Overview", "2. Dependencies", "3. Exported Parameters",
                     "4. Exported Functions", "5. Exported Statistics",
                     "6. Exported MI Functions"]


@pytest.mark.parametrize("name", MODULES)
def test_module_exports_validate(name):
    from openser_py.tools.modcheck import check_exports
    assert check_exports(ModuleRegistry().load(name).exports) == []


def test_docbook_is_well_formed(tmp_path):
    import xml.dom.minidom
    for name in MODULES:
        xml.dom.minidom.parseString(
            docgen.render_docbook(ModuleRegistry().load(name)))
