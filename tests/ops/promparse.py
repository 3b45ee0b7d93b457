"""A small, strict parser of the Prometheus text exposition format 0.0.4.

Follows prometheus.io/docs/instrumenting/exposition_formats ("Text-based
format"): ``# HELP name text`` (escapes ``\\\\`` and ``\\n`` only),
``# TYPE name counter|gauge|histogram|summary|untyped``, other ``#`` lines
are comments; samples ``name[{l="v",...}] value [timestamp]`` with label
values escaping ``\\\\``, ``\\"`` and ``\\n``.  Strict on purpose -- any
violation raises :class:`ExpositionError` with the line number:

* metric names ``[a-zA-Z_:][a-zA-Z0-9_:]*``, label names
  ``[a-zA-Z_][a-zA-Z0-9_]*`` and not ``__``-reserved;
* at most one HELP and one TYPE per family; TYPE before its samples;
* the lines of one family form one contiguous group;
* no duplicate label name in a sample, no duplicate series;
* values are Go floats (``NaN``, ``+Inf``, ``-Inf`` included), the
  optional timestamp an int64 of milliseconds;
* the text ends with a line feed.
"""
import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"),
            "summary": ("_sum", "_count")}
_HELP = re.compile(r"#[ \t]*HELP[ \t]+\S+(?:[ \t](.*))?$")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class ExpositionError(ValueError):
    """The text violates the format (message names the line)."""


class Family:
    """One metric family: ``name``, ``type``, ``help``, ``samples``
    (list of ``(sample_name, labels_dict, value, timestamp)``)."""

    def __init__(self, name):
        self.name = name
        self.type = None
        self.help = None
        self.samples = []

    def __repr__(self):
        return "<Family %s %s %d samples>" % (self.name, self.type,
                                              len(self.samples))


def _unescape(text, allowed, lineno):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in allowed:
                raise ExpositionError("line %d: bad escape in %r"
                                      % (lineno, text))
            out.append({"\\": "\\", "n": "\n", '"': '"'}[text[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_value(text, lineno):
    """A Go ParseFloat-compatible sample value."""
    if text in ("NaN",):
        return math.nan
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if not _FLOAT.fullmatch(text):
        raise ExpositionError("line %d: bad value %r" % (lineno, text))
    return float(text)


def _labels(line, pos, lineno):
    """Parse ``{...}`` starting at *pos* ('{'); return (dict, end pos)."""
    labels = {}
    pos += 1
    while True:
        while pos < len(line) and line[pos] in " \t":
            pos += 1
        if pos < len(line) and line[pos] == "}":
            return labels, pos + 1
        m = LABEL.match(line, pos)
        if not m:
            raise ExpositionError("line %d: bad label name at column %d"
                                  % (lineno, pos + 1))
        name = m.group(0)
        if name.startswith("__"):
            raise ExpositionError("line %d: reserved label name %s"
                                  % (lineno, name))
        if name in labels:
            raise ExpositionError("line %d: duplicate label %s"
                                  % (lineno, name))
        pos = m.end()
        while pos < len(line) and line[pos] in " \t":
            pos += 1
        if line[pos:pos + 2] != '="':
            raise ExpositionError('line %d: expected =" after label %s'
                                  % (lineno, name))
        pos += 2
        start = pos
        while pos < len(line) and line[pos] != '"':
            pos += 2 if line[pos] == "\\" else 1
        if pos >= len(line):
            raise ExpositionError("line %d: unterminated label value"
                                  % lineno)
        labels[name] = _unescape(line[start:pos], '\\"n', lineno)
        pos += 1
        while pos < len(line) and line[pos] in " \t":
            pos += 1
        if pos < len(line) and line[pos] == ",":
            pos += 1
            continue
        if pos < len(line) and line[pos] == "}":
            return labels, pos + 1
        raise ExpositionError("line %d: expected , or } in labels" % lineno)


def _family_of(sample, families):
    for fam_type, suffixes in SUFFIXES.items():
        for suf in suffixes:
            base = sample[:-len(suf)]
            if sample.endswith(suf) and base in families and \
                    families[base].type == fam_type:
                return base
    return sample


def parse(text):
    """Parse exposition *text*; return ``{family name: Family}`` in order."""
    if text and not text.endswith("\n"):
        raise ExpositionError("the text must end with a line feed")
    families = {}
    closed = set()          # families whose group has ended
    current = None
    series = set()

    def enter(name, lineno):
        nonlocal current
        if name != current:
            if name in closed:
                raise ExpositionError("line %d: lines of %s are not one "
                                      "group" % (lineno, name))
            if current is not None:
                closed.add(current)
            current = name
        return families.setdefault(name, Family(name))

    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line[1:].lstrip(" \t").split(None, 2)
            if not parts or parts[0] not in ("HELP", "TYPE"):
                continue                          # a comment
            if len(parts) < 2 or not NAME.fullmatch(parts[1]):
                raise ExpositionError("line %d: bad %s line" % (lineno,
                                                                parts[0]))
            fam = enter(parts[1], lineno)
            if parts[0] == "HELP":
                if fam.help is not None:
                    raise ExpositionError("line %d: second HELP for %s"
                                          % (lineno, fam.name))
                doc = _HELP.match(line).group(1) or ""
                fam.help = _unescape(doc, "\\n", lineno)
            else:
                if fam.type is not None:
                    raise ExpositionError("line %d: second TYPE for %s"
                                          % (lineno, fam.name))
                if fam.samples:
                    raise ExpositionError("line %d: TYPE of %s after its "
                                          "samples" % (lineno, fam.name))
                if len(parts) != 3 or parts[2].strip() not in TYPES:
                    raise ExpositionError("line %d: bad TYPE line" % lineno)
                fam.type = parts[2].strip()
            continue
        m = NAME.match(line)
        if not m:
            raise ExpositionError("line %d: bad metric name" % lineno)
        sname, pos = m.group(0), m.end()
        labels = {}
        if pos < len(line) and line[pos] == "{":
            labels, pos = _labels(line, pos, lineno)
        rest = line[pos:]
        if rest[:1] not in (" ", "\t"):
            raise ExpositionError("line %d: expected a blank before the "
                                  "value" % lineno)
        fields = rest.split()
        if not 1 <= len(fields) <= 2:
            raise ExpositionError("line %d: expected value [timestamp]"
                                  % lineno)
        value = parse_value(fields[0], lineno)
        ts = None
        if len(fields) == 2:
            if not re.fullmatch(r"-?\d+", fields[1]):
                raise ExpositionError("line %d: bad timestamp" % lineno)
            ts = int(fields[1])
        fam = enter(_family_of(sname, families), lineno)
        key = (sname, tuple(sorted(labels.items())))
        if key in series:
            raise ExpositionError("line %d: duplicate series %s%s"
                                  % (lineno, sname, labels))
        series.add(key)
        fam.samples.append((sname, labels, value, ts))
    return families
