"""Data-driven SIP parser tests over ``tests/data/sip/{valid,invalid}``.

Each case is ``NAME.sip`` (the raw message bytes, as received) and
``NAME.py`` defining ``expect = {...}``.

Valid cases: the message is parsed with :func:`parse_msg`, then
``msg.parse_all()`` is called, then every key of ``expect`` is checked:

* ``"a.b.0.c"``: a dotted accessor path on the message; a numeric segment
  indexes a sequence, ``name()`` calls a method (``"parts().1.1"``);
* ``"len:PATH"``: ``len()`` of the value at PATH;
* ``"hdr:Name"``: body of the first header field called Name (compact
  forms honoured), None if absent;
* ``"@headers"``: number of header fields; ``"@body_len"``/``"@body"``:
  length / bytes of the body; ``"@buf_len"``: length of ``msg.buf``;
* ``"@stream"``: parse as received on a stream transport (default: datagram);
* ``"@note"``: free text (why a case the RFC calls invalid is valid for the
  parser: a higher layer rejects it, or the RFC allows accepting it).

Invalid cases: ``status`` is the expected ``SipParseError.status``;
``stage`` is ``"parse"`` (raised by parse_msg) or ``"all"`` (parse_msg
succeeds, the error comes from ``parse_all()``, or from the accessor
``path`` when given); ``why`` cites the RFC.
"""
import os

import pytest

from openser_py.parser.errors import SipParseError

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "data", "sip")
META_KEYS = ("@note", "@stream")


@pytest.fixture(params=["default", "python"], autouse=True)
def index_impl(request, monkeypatch):
    """Every case runs with the header index in use (the C one when it is
    built) and with the Python reference (``index.py``)."""
    if request.param == "python":
        from openser_py.parser import index, msg
        monkeypatch.setattr(msg, "_index_head", index.py_index_head)
    return request.param


def _cases(kind):
    folder = os.path.join(DATA, kind)
    names = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".sip"))
    return [pytest.param(os.path.join(folder, n), id=n) for n in names]


def _load(path):
    """Return (raw bytes, expect dict) of the case at *path* (no suffix)."""
    with open(path + ".sip", "rb") as f:
        raw = f.read()
    namespace = {}
    with open(path + ".py", encoding="utf-8") as f:
        exec(compile(f.read(), path + ".py", "exec"), namespace)
    return raw, dict(namespace["expect"])


def _parse_msg():
    # imported lazily so that the URI tests run before the message layer lands
    from openser_py.parser.msg import parse_msg
    return parse_msg


def resolve(obj, path):
    """Follow a dotted accessor *path* from *obj*."""
    for seg in path.split("."):
        if seg.endswith("()"):
            obj = getattr(obj, seg[:-2])()
        elif seg.lstrip("-").isdigit():
            obj = obj[int(seg)]
        else:
            obj = getattr(obj, seg)
    return obj


def lookup(msg, key):
    """The actual value for an ``expect`` key."""
    if key == "@headers":
        return len(msg.headers)
    if key == "@body_len":
        return len(msg.body)
    if key == "@body":
        return msg.body
    if key == "@buf_len":
        return len(msg.buf)
    if key.startswith("len:"):
        return len(resolve(msg, key[4:]))
    if key.startswith("hdr:"):
        hdr = msg.get_hdr_by_name(key[4:])
        return None if hdr is None else hdr.body
    return resolve(msg, key)


@pytest.mark.parametrize("path", _cases("valid"))
def test_valid(path):
    raw, expect = _load(path)
    stream = expect.get("@stream", False)
    msg = _parse_msg()(raw, stream=stream)
    msg.parse_all()
    failures = []
    for key, wanted in expect.items():
        if key in META_KEYS:
            continue
        try:
            got = lookup(msg, key)
        except Exception as exc:  # report every key, not only the first
            failures.append("%s: raised %r" % (key, exc))
            continue
        if got != wanted:
            failures.append("%s: expected %r, got %r" % (key, wanted, got))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", _cases("invalid"))
def test_invalid(path):
    raw, expect = _load(path)
    assert expect["stage"] in ("parse", "all"), "bad stage in the case file"
    assert expect.get("why"), "an invalid case must say why"
    parse_msg = _parse_msg()
    stream = expect.get("@stream", False)
    if expect["stage"] == "parse":
        with pytest.raises(SipParseError) as err:
            parse_msg(raw, stream=stream)
    else:
        try:
            msg = parse_msg(raw, stream=stream)
        except SipParseError as exc:
            pytest.fail("rejected by parse_msg (%d %s), expected only at "
                        "parse_all" % (exc.status, exc.reason))
        if "path" in expect:
            with pytest.raises(SipParseError) as err:
                resolve(msg, expect["path"])
            assert err.value.status == expect["status"], err.value.reason
        with pytest.raises(SipParseError) as err:
            msg.parse_all()
    assert err.value.status == expect["status"], err.value.reason


def test_corpus_is_complete():
    """Every .sip has its .py and the corpus keeps its size."""
    for kind in ("valid", "invalid"):
        folder = os.path.join(DATA, kind)
        files = os.listdir(folder)
        sips = {f[:-4] for f in files if f.endswith(".sip")}
        pys = {f[:-3] for f in files if f.endswith(".py")}
        assert sips == pys, kind
    assert len(_cases("valid")) + len(_cases("invalid")) >= 79
