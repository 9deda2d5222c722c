"""Variable substitution as the Docker CLI does it, with the project's variables in place of the process env.

Rules (docker/cli cli/compose/template and interpolation):
- `$$` is a literal `$`; `$VAR` and `${VAR}` give the value or "" when unset.
- `${VAR:-d}` uses d when VAR is unset or empty, `${VAR-d}` only when unset.
- `${VAR:?msg}` fails when VAR is unset or empty, `${VAR?msg}` only when unset.
- Names are `[_a-zA-Z][_a-zA-Z0-9]*`; a `$` followed by anything else is an invalid interpolation.
- The unbraced form takes the same modifiers up to the next `}` (so `$A-x` is `${A-x}`), as the CLI does.
- Only string values are substituted, after YAML parsing, never keys; a value that changed is then cast
  for the few paths that need a number or a boolean (replicas, ports, parallelism, ulimits, read_only, ...).
- As in the CLI, the error of one substitution is forgotten when a later `${...}` in the same string
  succeeds.
"""

from __future__ import annotations

import re

from .errors import ComposeError

_SUBST = r"[_a-z][_a-z0-9]*(?::?[-?][^}]*)?"
PATTERN = re.compile(r"\$(?i:(?P<escaped>\$)|(?P<named>" + _SUBST + r")|\{(?P<braced>" + _SUBST + r")\}|(?P<invalid>))")


class TemplateError(Exception):
    def __init__(self, template: str, required: bool = False):
        super().__init__(template)
        self.template = template
        self.required = required

    def describe(self) -> str:
        if self.required:
            return self.template
        return f'invalid interpolation format "{self.template}"; a literal $ must be written as $$'


def _partition(text: str, sep: str) -> tuple[str, str]:
    name, found, rest = text.partition(sep)
    return (name, rest) if found else (text, "")


def _apply(expr: str, variables: dict[str, str]) -> tuple[str, TemplateError | None]:
    """One `${expr}`: returns the value and the error state the CLI leaves behind."""
    if ":-" in expr:
        name, default = _partition(expr, ":-")
        value = variables.get(name)
        return (value or default), None
    if "-" in expr:
        name, default = _partition(expr, "-")
        return variables.get(name, default), None
    if ":?" in expr:
        name, message = _partition(expr, ":?")
        value = variables.get(name)
        if not value:
            return "", TemplateError(f"required variable {name} is missing a value: {message}", required=True)
        return value, None
    if "?" in expr:
        name, message = _partition(expr, "?")
        if name not in variables:
            return "", TemplateError(f"required variable {name} is missing a value: {message}", required=True)
        return variables[name], None
    return variables.get(expr, ""), None


def substitute(template: str, variables: dict[str, str]) -> str:
    """Substitute variables in one string; raises TemplateError like the CLI's template.Substitute."""
    error: TemplateError | None = None
    out: list[str] = []
    position = 0
    for match in PATTERN.finditer(template):
        out.append(template[position : match.start()])
        position = match.end()
        if match.group("escaped"):
            out.append("$")
            continue
        expr = match.group("named") or match.group("braced")
        if not expr:
            error = TemplateError(template)
            continue
        value, error = _apply(expr, variables)
        if error is None:
            out.append(value)
    out.append(template[position:])
    if error is not None:
        raise error
    return "".join(out)


def _to_int(value: str):
    if re.fullmatch(r"[+-]?[0-9]+", value):
        return int(value)
    raise ValueError(f'cannot read "{value}" as an integer')


def _to_float(value: str):
    try:
        return float(value)
    except ValueError:
        raise ValueError(f'cannot read "{value}" as a number') from None


def _to_bool(value: str):
    lowered = value.lower()
    if lowered in ("y", "yes", "true", "on"):
        return True
    if lowered in ("n", "no", "false", "off"):
        return False
    raise ValueError(f'invalid boolean: "{value}"')


_ANY, _LIST = "*", "[]"


def _svc(*parts):
    return ("services", _ANY, *parts)


CASTS = {
    _svc("configs", _LIST, "mode"): _to_int,
    _svc("secrets", _LIST, "mode"): _to_int,
    _svc("healthcheck", "retries"): _to_int,
    _svc("healthcheck", "disable"): _to_bool,
    _svc("deploy", "replicas"): _to_int,
    _svc("deploy", "update_config", "parallelism"): _to_int,
    _svc("deploy", "update_config", "max_failure_ratio"): _to_float,
    _svc("deploy", "rollback_config", "parallelism"): _to_int,
    _svc("deploy", "rollback_config", "max_failure_ratio"): _to_float,
    _svc("deploy", "restart_policy", "max_attempts"): _to_int,
    _svc("deploy", "placement", "max_replicas_per_node"): _to_int,
    _svc("ports", _LIST, "target"): _to_int,
    _svc("ports", _LIST, "published"): _to_int,
    _svc("ulimits", _ANY): _to_int,
    _svc("ulimits", _ANY, "hard"): _to_int,
    _svc("ulimits", _ANY, "soft"): _to_int,
    _svc("privileged"): _to_bool,
    _svc("read_only"): _to_bool,
    _svc("stdin_open"): _to_bool,
    _svc("tty"): _to_bool,
    _svc("volumes", _LIST, "read_only"): _to_bool,
    _svc("volumes", _LIST, "volume", "nocopy"): _to_bool,
    ("networks", _ANY, "external"): _to_bool,
    ("networks", _ANY, "internal"): _to_bool,
    ("networks", _ANY, "attachable"): _to_bool,
    ("volumes", _ANY, "external"): _to_bool,
    ("secrets", _ANY, "external"): _to_bool,
    ("configs", _ANY, "external"): _to_bool,
}


def _caster(pattern_path: tuple):
    for pattern, cast in CASTS.items():
        if len(pattern) == len(pattern_path) and all(
            p in (_ANY, q) for p, q in zip(pattern, pattern_path, strict=True)
        ):
            return cast
    return None


def interpolate(data, variables: dict[str, str], line_of, format_path):
    """Substitute every string value of the document (keys untouched), then cast where the CLI casts."""

    def walk(value, path: tuple, pattern_path: tuple):
        if isinstance(value, str):
            if "$" not in value:
                return value
            try:
                new = substitute(value, variables)
            except TemplateError as error:
                raise ComposeError(
                    error.describe(),
                    line=line_of(path),
                    field=format_path(path),
                ) from None
            if new == value:
                return value
            cast = _caster(pattern_path)
            if cast is None:
                return new
            try:
                return cast(new)
            except ValueError as error:
                raise ComposeError(str(error), line=line_of(path), field=format_path(path)) from None
        if isinstance(value, dict):
            return {k: walk(v, (*path, k), (*pattern_path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i), (*pattern_path, _LIST)) for i, v in enumerate(value)]
        return value

    return walk(data, (), ())
