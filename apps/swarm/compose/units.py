"""Go's little parsers and printers that the CLI applies to Compose values, reproduced exactly.

- `parse_duration`: time.ParseDuration ("1m30s", "1.5h", "300ms"; no "d").
- `ram_in_bytes`: go-units RAMInBytes ("50M", "1.5g", "512kb"; binary units).
- `parse_cpus`: the CLI's ParseCPUs (a rational number of CPUs, times 1e9, must come out whole).
- `shell_split`: github.com/google/shlex Split, used for string `command`/`entrypoint`.
- `go_sprint`: fmt.Sprint of a YAML scalar, which is how numbers in mappings become strings.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5
    "μs": 1_000,  # U+03BC
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX = 1 << 63


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> int:
    """time.ParseDuration: returns integer nanoseconds or raises DurationError with Go's wording."""
    original, rest = text, text
    negative = False
    if rest and rest[0] in "+-":
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    invalid = DurationError(f'invalid duration "{original}" (a number and a unit, as in 1m30s: ns, us, ms, s, m, h)')
    if not rest:
        raise invalid
    total = 0
    while rest:
        if rest[0] not in ".0123456789":
            raise invalid
        match = re.match(r"[0-9]*", rest)
        whole_text = match.group(0)
        rest = rest[len(whole_text) :]
        fraction_text = ""
        has_fraction = False
        if rest.startswith("."):
            rest = rest[1:]
            fraction_text = re.match(r"[0-9]*", rest).group(0)
            rest = rest[len(fraction_text) :]
            has_fraction = bool(fraction_text)
        if not whole_text and not has_fraction:
            raise invalid
        unit_match = re.match(r"[^0-9.]*", rest)
        unit = unit_match.group(0)
        rest = rest[len(unit) :]
        if not unit:
            raise DurationError(f'missing unit in duration "{original}" (ns, us, ms, s, m, h)')
        if unit not in _UNITS:
            raise DurationError(f'unknown unit "{unit}" in duration "{original}" (ns, us, ms, s, m, h; no "d")')
        scale = _UNITS[unit]
        whole = int(whole_text) if whole_text else 0
        if whole > _MAX // scale:
            raise invalid
        value = whole * scale
        if fraction_text:
            digits = fraction_text[:18]
            fraction = int(digits)
            if fraction:
                value += int(float(fraction) * (float(scale) / float(10 ** len(digits))))
            if value > _MAX:
                raise invalid
        total += value
        if total > _MAX:
            raise invalid
    if negative:
        return -total
    if total > _MAX - 1:
        raise invalid
    return total


_BINARY = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


class SizeError(ValueError):
    pass


def _go_parse_float(text: str) -> float:
    """strconv.ParseFloat for decimal text: no underscores, no surrounding space."""
    if not text or "_" in text or text != text.strip():
        raise ValueError(text)
    return float(text)


def ram_in_bytes(text: str) -> int:
    """go-units RAMInBytes: a number with an optional binary unit (b, k, kb, kib, m, ... p)."""
    separator = max(text.rfind(c) for c in "0123456789. ")
    if separator == -1:
        raise SizeError(f"invalid size: '{text}'")
    if text[separator] != " ":
        number, suffix = text[: separator + 1], text[separator + 1 :]
    else:
        number, suffix = text[:separator], text[separator + 1 :]
    try:
        size = _go_parse_float(number)
    except ValueError:
        raise SizeError(f"invalid size: '{text}'") from None
    if size < 0:
        raise SizeError(f"invalid size: '{text}'")
    if not suffix:
        return int(size)
    bad = SizeError(f"invalid suffix: '{suffix.lower() if len(suffix) <= 3 else suffix}' in size '{text}'")
    if len(suffix) > 3:
        raise bad
    suffix = suffix.lower()
    if suffix[0] == "b":
        if len(suffix) > 1:
            raise bad
        return int(size)
    if suffix[0] not in _BINARY:
        raise bad
    size *= _BINARY[suffix[0]]
    if (len(suffix) == 2 and suffix[1] != "b") or (len(suffix) == 3 and suffix[1:] != "ib"):
        raise bad
    if math.isinf(size) or math.isnan(size) or size >= 2**63:
        raise SizeError(f"invalid size: '{text}'")
    return int(size)


class CpuError(ValueError):
    pass


_RAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?\d+/\d+$")


def parse_cpus(text: str) -> int:
    """The CLI's ParseCPUs: "0.5" -> 500000000 NanoCPUs; "0.0000000001" is "too precise"."""
    if not _RAT.match(text):
        raise CpuError(f'failed to parse "{text}" as a number of CPUs')
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise CpuError(f'failed to parse "{text}" as a number of CPUs') from None
    nano = value * 1_000_000_000
    if nano.denominator != 1:
        raise CpuError(f'"{text}" CPUs is too precise (at most 9 decimals)')
    return int(nano)


class ShlexError(ValueError):
    pass


def shell_split(text: str) -> list[str]:
    """github.com/google/shlex Split: quotes and backslashes as a POSIX shell reads words, `#` starts a
    comment at the start of a word, no expansion of anything."""
    words: list[str] = []
    state = "start"
    value: list[str] = []
    for char in text:
        if state == "start":
            if char in " \t\r\n":
                continue
            if char == '"':
                state = "dquote"
            elif char == "'":
                state = "squote"
            elif char == "\\":
                state = "escape"
            elif char == "#":
                state = "comment"
            else:
                value.append(char)
                state = "word"
        elif state == "word":
            if char in " \t\r\n":
                words.append("".join(value))
                value, state = [], "start"
            elif char == '"':
                state = "dquote"
            elif char == "'":
                state = "squote"
            elif char == "\\":
                state = "escape"
            else:
                value.append(char)
        elif state == "escape":
            value.append(char)
            state = "word"
        elif state == "dquote_escape":
            value.append(char)
            state = "dquote"
        elif state == "dquote":
            if char == '"':
                state = "word"
            elif char == "\\":
                state = "dquote_escape"
            else:
                value.append(char)
        elif state == "squote":
            if char == "'":
                state = "word"
            else:
                value.append(char)
        elif state == "comment" and char == "\n":
            state = "start"
    if state in ("escape", "dquote_escape"):
        raise ShlexError("EOF found after escape character")
    if state in ("dquote", "squote"):
        raise ShlexError("EOF found when expecting closing quote")
    if state == "word":
        words.append("".join(value))
    return words


def go_float(value: float) -> str:
    """fmt.Sprint(float64), i.e. %v = strconv 'g' with the shortest digits: %e form when the decimal
    exponent is < -4 or >= 6 ("1e+06", "1.23456789123e+08"), plain digits otherwise ("100000", "0.5")."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text_digits = "".join(str(d) for d in digits)
    point = len(text_digits) + exponent  # position of the decimal point
    exp = point - 1
    prefix = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mantissa = text_digits[0] + ("." + text_digits[1:] if len(text_digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{text_digits}"
    if point >= len(text_digits):
        return prefix + text_digits + "0" * (point - len(text_digits))
    return f"{prefix}{text_digits[:point]}.{text_digits[point:]}"


def go_sprint(value) -> str:
    """fmt.Sprint of a decoded YAML scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, int):
        return str(value)
    if value is None:
        return "<nil>"
    return str(value)
