"""YAML as the Docker CLI reads it (go-yaml v3), with the line of every key and guards against hostile input.

PyYAML (libyaml) composes the node tree; the values are then built here with go-yaml v3's rules rather than
PyYAML's YAML 1.1 ones: `yes`/`no`/`on`/`off` stay strings, `0644` and `0o644` are octal, `1_000` is 1000,
an unquoted `2001-12-14` is a timestamp (printed the way Go prints a `time.Time`), duplicate keys are an
error, and `<<` merge keys follow go-yaml's precedence (explicit keys first, then earlier merges).

Aliases are counted while the tree is built: a document whose aliases would expand to more than
`MAX_ALIAS_NODES` nodes (a "billion laughs" bomb) is refused before it costs anything.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass, field

import yaml

from .errors import ComposeError

MAX_BYTES = 1024 * 1024
MAX_ALIAS_NODES = 100_000
MAX_DEPTH = 100

Path = tuple  # of str keys and int list indexes

try:  # libyaml is much faster and bounds nesting depth itself
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml.parser import Parser as _PyYAMLParser
    from yaml.reader import Reader as _Reader
    from yaml.scanner import Scanner as _Scanner

    class _Parser(_Reader, _Scanner, _PyYAMLParser):  # type: ignore[no-redef]
        def __init__(self, stream):
            _Reader.__init__(self, stream)
            _Scanner.__init__(self)
            _PyYAMLParser.__init__(self)


class _Composer(_Parser, yaml.composer.Composer, yaml.resolver.BaseResolver):
    """Composes nodes only. BaseResolver has no implicit resolvers: plain scalars keep the `str` tag and
    their style, and this module resolves them itself."""

    def __init__(self, stream):
        _Parser.__init__(self, stream)
        if not hasattr(self, "anchors"):
            yaml.composer.Composer.__init__(self)
        yaml.resolver.BaseResolver.__init__(self)

    def resolve(self, kind, value, implicit):  # every untagged node keeps its kind's default tag
        if kind is yaml.ScalarNode:
            return STR_TAG
        return SEQ_TAG if kind is yaml.SequenceNode else MAP_TAG


class GoTime(str):
    """A YAML timestamp, held as the text Go's fmt prints for a time.Time ("2001-12-14 00:00:00 +0000 UTC")."""


@dataclass
class Source:
    """The parsed document plus where each key and list item was written."""

    data: object
    lines: dict = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


STR_TAG = "tag:yaml.org,2002:str"
SEQ_TAG = "tag:yaml.org,2002:seq"
MAP_TAG = "tag:yaml.org,2002:map"
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_FLOATS = {
    **{s: math.inf for s in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{s: -math.inf for s in ("-.inf", "-.Inf", "-.INF")},
    **{s: math.nan for s in (".nan", ".NaN", ".NAN")},
}
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DOT_FLOAT = re.compile(r"^\.[0-9]+([eE][-+]?[0-9]+)?$")
_TS_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TS_FULL = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_TS_SPACE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?$")
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}
INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64) for text without underscores: sign, then 0x/0o/0b/0 prefixes."""
    sign, rest = 1, text
    if rest[:1] in ("+", "-"):
        sign, rest = (-1 if rest[0] == "-" else 1), rest[1:]
    if not rest:
        return None
    base = 10
    if rest[0] == "0" and len(rest) > 1:
        prefix = rest[1].lower()
        if prefix in "xob":
            base, rest = {"x": 16, "o": 8, "b": 2}[prefix], rest[2:]
        else:
            base, rest = 8, rest[1:]
    if not rest or any(c not in _DIGITS[base] for c in rest):
        return None
    return sign * int(rest, base)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _timestamp(text: str) -> GoTime | None:
    match = _TS_DATE.match(text) or _TS_FULL.match(text) or _TS_SPACE.match(text)
    if not match:
        return None
    groups = match.groups()
    year, month, day = int(groups[0]), int(groups[1]), int(groups[2])
    hour = minute = second = 0
    frac, zone = "", "Z"
    if len(groups) > 3:
        hour, minute, second = int(groups[3]), int(groups[4]), int(groups[5])
        frac = (groups[6] or "")[1:10].rstrip("0")
        if len(groups) > 7:
            zone = groups[7]
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    text_time = f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
    if frac:
        text_time += "." + frac
    if zone in ("Z", "+00:00", "-00:00"):
        return GoTime(text_time + " +0000 UTC")
    offset = zone.replace(":", "")
    return GoTime(f"{text_time} {offset} {offset}")


def resolve_plain(text: str):
    """The value go-yaml v3 gives an unquoted, untagged scalar when decoding into `any`."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    hint = text[0]
    if hint == ".":
        if _DOT_FLOAT.match(text):
            value = float(text)
            if not math.isinf(value):
                return value
        return text
    if hint not in "+-0123456789":
        return text
    stamp = _timestamp(text)
    if stamp is not None:
        return stamp
    plain = text.replace("_", "")
    if plain:
        number = _go_parse_int(plain)
        if number is not None and INT64_MIN <= number <= INT64_MAX:
            return number
        if number is not None and plain[0] != "-" and plain[0] != "+" and 0 <= number <= UINT64_MAX:
            return number
        if _YAML_FLOAT.match(plain):
            value = float(plain)
            if not math.isinf(value):
                return value
        for prefix, base in (("0b", 2), ("-0b", 2), ("0o", 8), ("-0o", 8)):
            if plain.startswith(prefix):
                digits = plain[len(prefix) :]
                if digits and all(c in _DIGITS[base] for c in digits):
                    value = int(digits, base) * (-1 if prefix[0] == "-" else 1)
                    if INT64_MIN <= value <= INT64_MAX:
                        return value
                break
    return text


_EXPLICIT = {
    "tag:yaml.org,2002:null": lambda s: None,
    "tag:yaml.org,2002:bool": lambda s: _BOOLS.get(s, s.lower() in ("y", "yes", "on", "true")),
    "tag:yaml.org,2002:int": lambda s: _go_parse_int(s.replace("_", "")),
    "tag:yaml.org,2002:float": lambda s: float(s.replace("_", "")),
    "tag:yaml.org,2002:timestamp": lambda s: _timestamp(s) or s,
    "tag:yaml.org,2002:binary": lambda s: s,
    "tag:yaml.org,2002:merge": lambda s: s,
}


class _Builder:
    def __init__(self):
        self.lines: dict = {}
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.expanded = 0
        self.aliased = 0

    def fail(self, message: str, node) -> ComposeError:
        return ComposeError(message, line=node.start_mark.line + 1 if node is not None else None)

    def build(self, node, path: Path, depth: int = 0):
        if node.__class__ is yaml.ScalarNode:
            if self.aliased:
                self.count(node)
            return self.scalar(node)
        if depth > MAX_DEPTH:
            raise self.fail(f"the document is nested more than {MAX_DEPTH} levels deep", node)
        key = id(node)
        if key in self.active:
            raise self.fail("a YAML alias refers to a node that contains it", node)
        repeated = key in self.seen
        if repeated:
            self.aliased += 1
        else:
            self.seen.add(key)
        if self.aliased:
            self.count(node)
        self.active.add(key)
        try:
            if node.__class__ is yaml.SequenceNode:
                result = []
                lines = self.lines
                for index, item in enumerate(node.value):
                    where = (*path, index)
                    if where not in lines:
                        lines[where] = item.start_mark.line + 1
                    result.append(self.build(item, where, depth + 1))
                return result
            return self.mapping(node, path, depth)
        finally:
            self.active.discard(key)
            if repeated:
                self.aliased -= 1

    def count(self, node) -> None:
        """Nodes built again through an alias are counted; past the limit the document is refused."""
        self.expanded += 1
        if self.expanded > MAX_ALIAS_NODES:
            raise self.fail(
                f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes; refusing the document (alias bomb?)",
                node,
            )

    def scalar(self, node):
        if node.tag == STR_TAG:
            return resolve_plain(node.value) if node.style in (None, "") else node.value
        convert = _EXPLICIT.get(node.tag)
        if convert is None:
            raise self.fail(f"unsupported YAML tag {node.tag!r}", node)
        try:
            value = convert(node.value)
        except ValueError:
            value = None
        if value is None and node.tag not in ("tag:yaml.org,2002:null",):
            raise self.fail(f"cannot decode {node.value!r} as {node.tag.rsplit(':', 1)[-1]}", node)
        return value

    def key_of(self, node, path: Path):
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(f"{_where(path)}: a mapping key must be a string, not a {_kind(node)}", node)
        value = self.scalar(node)
        if not isinstance(value, str) or isinstance(value, GoTime):
            raise self.fail(f"{_where(path)}: a mapping key must be a string, got {node.value!r}", node)
        return value

    def mapping(self, node, path: Path, depth: int) -> dict:
        written: dict = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                ident = key_node.value
                if ident in written:
                    raise self.fail(
                        f'mapping key "{ident}" already defined at line {written[ident]}',
                        key_node,
                    )
                written[ident] = key_node.start_mark.line + 1
        result: dict = {}
        merge_node = None
        for key_node, value_node in node.value:
            if _is_merge(key_node):
                merge_node = value_node
                continue
            key = self.key_of(key_node, path)
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*path, key), depth + 1)
        if merge_node is not None:
            sources = merge_node.value if isinstance(merge_node, yaml.SequenceNode) else [merge_node]
            explicit = set(result)
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise self.fail("map merge requires map or sequence of maps as the value", source)
                outer, self.lines = self.lines, {}
                try:
                    merged = self.build(source, path, depth + 1)
                finally:
                    inner, self.lines = self.lines, outer
                for key, value in merged.items():
                    if key not in result:
                        result[key] = value
                for where, line in inner.items():
                    if len(where) > len(path) and where[len(path)] not in explicit:
                        self.lines.setdefault(where, line)
        return result


def _is_merge(node) -> bool:
    return (
        isinstance(node, yaml.ScalarNode)
        and node.value == "<<"
        and ((node.tag == STR_TAG and node.style in (None, "")) or node.tag == "tag:yaml.org,2002:merge")
    )


def _kind(node) -> str:
    return "list" if isinstance(node, yaml.SequenceNode) else "mapping"


def _where(path: Path) -> str:
    return format_path(path) or "top level"


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _mark_line(error) -> int | None:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def parse(text: str | bytes) -> Source:
    """Parse the first YAML document of `text` into plain values with the line of every key."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise ComposeError(f"the Compose file is {len(text)} bytes; the limit is {MAX_BYTES} bytes (1 MiB)")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ComposeError(f"the Compose file is not valid UTF-8 (byte {error.start})") from None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise ComposeError(f"the Compose file is {size} bytes; the limit is {MAX_BYTES} bytes (1 MiB)")
    composer = _Composer(text)
    try:
        node = composer.get_node() if composer.check_node() else None
    except yaml.MarkedYAMLError as error:
        problem = error.problem or error.context or "invalid YAML"
        raise ComposeError(f"invalid YAML: {problem}", line=_mark_line(error)) from None
    except yaml.YAMLError as error:
        raise ComposeError(f"invalid YAML: {error}") from None
    except RecursionError:
        raise ComposeError("invalid YAML: the document is nested too deeply") from None
    finally:
        with contextlib.suppress(Exception):  # disposing of a failed parser is best effort
            composer.dispose()
    builder = _Builder()
    if node is None:
        return Source(None, {})
    builder.lines[()] = node.start_mark.line + 1
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise ComposeError("the document is nested too deeply") from None
    return Source(data, builder.lines)
