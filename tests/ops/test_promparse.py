"""The strict exposition-format parser used by the metrics tests, and the
module's name/escaping rules checked through it."""
import math

import pytest

from openser_py.modules.prometheus import exposition
from tests.ops.promparse import ExpositionError, parse

GOOD = """# HELP a_total Counts \\\\ things\\nover lines.
# TYPE a_total counter
a_total 3
# a free comment
# TYPE g gauge
g{x="1",y="q\\"uote\\\\"} -1.5e3 1700000000000
g{x="2",} NaN
# TYPE h histogram
h_bucket{le="+Inf"} 2
h_sum 1
h_count 2
u +Inf
"""


def test_parses_a_valid_page():
    fams = parse(GOOD)
    assert list(fams) == ["a_total", "g", "h", "u"]
    assert fams["a_total"].help == "Counts \\ things\nover lines."
    assert fams["a_total"].type == "counter"
    assert fams["a_total"].samples == [("a_total", {}, 3.0, None)]
    g = fams["g"].samples
    assert g[0] == ("g", {"x": "1", "y": 'q"uote\\'}, -1500.0, 1700000000000)
    assert math.isnan(g[1][2]) and g[1][1] == {"x": "2"}
    assert [s[0] for s in fams["h"].samples] == ["h_bucket", "h_sum",
                                                  "h_count"]
    assert fams["u"].type is None and fams["u"].samples[0][2] == math.inf


@pytest.mark.parametrize("text, why", [
    ("a 1", "line feed"),
    ("1a 1\n", "metric name"),
    ("a{1x=\"v\"} 1\n", "label name"),
    ("a{__x=\"v\"} 1\n", "reserved"),
    ("a{x=\"v\",x=\"w\"} 1\n", "duplicate label"),
    ("a{x=\"v} 1\n", "unterminated"),
    ("a{x=v} 1\n", "expected"),
    ("a{x=\"\\t\"} 1\n", "escape"),
    ("a one\n", "bad value"),
    ("a 1 1.5\n", "timestamp"),
    ("a 1 2 3\n", "expected value"),
    ("a1\n", "blank before the value"),
    ("# TYPE a counter\n# TYPE a counter\na 1\n", "second TYPE"),
    ("# HELP a x\n# HELP a y\na 1\n", "second HELP"),
    ("a 1\n# TYPE a counter\n", "after its samples"),
    ("# TYPE a countr\na 1\n", "bad TYPE"),
    ("a 1\nb 1\na{x=\"1\"} 2\n", "one group"),
    ("a 1\na 2\n", "duplicate series"),
    ("# HELP a bad \\q escape\na 1\n", "escape"),
])
def test_rejects_violations(text, why):
    with pytest.raises(ExpositionError, match=why):
        parse(text)


def test_metric_names_are_valid_and_prefixed():
    assert exposition.metric_name("openser_", "sl", "1xx_replies") == \
        "openser_sl_1xx_replies"
    assert exposition.metric_name("", "9g", "a-b.c") == "_9g_a_b_c"
    assert exposition.metric_name("openser_", "core", "bad_URIs_rcvd") == \
        "openser_core_bad_URIs_rcvd"


def test_label_and_help_escaping_round_trip():
    text = "odd \\ \"desc\"\nline"
    page = "# HELP m %s\n# TYPE m gauge\nm{d=\"%s\"} 1\n" % (
        exposition._help(text), exposition._label(text))
    fam = parse(page)["m"]
    assert fam.help == text and fam.samples[0][1]["d"] == text
