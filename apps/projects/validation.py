"""Checks of what a person sends with a revision, before anything is parsed or written."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from apps.core.errors import ValidationFailed

from .models import validate_stack_name

MAX_SOURCE_BYTES = 1024 * 1024  # a Compose file over 1 MB is refused before it is parsed
MAX_FILE_BYTES = 1024 * 1024
MAX_FILES = 100
MAX_FILES_TOTAL = 8 * 1024 * 1024
MAX_VARIABLES = 500
MAX_MESSAGE = 500
VARIABLE_NAME = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")


def stack_name(value) -> str:
    name = (value or "").strip() if isinstance(value, str) else ""
    if not name:
        raise ValidationFailed("a project needs a name (it is the stack's name on the swarm)", field="name")
    try:
        validate_stack_name(name)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(str(m) for m in exc.messages), field="name")
    return name


def compose_text(value) -> str:
    if value is None:
        raise ValidationFailed("a Compose file is required", field="compose")
    if isinstance(value, bytes):
        if len(value) > MAX_SOURCE_BYTES:
            raise _too_big("compose", len(value))
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed("the Compose file is not UTF-8 text", field="compose")
    if not isinstance(value, str):
        raise ValidationFailed("the Compose file must be text", field="compose")
    size = len(value.encode("utf-8", errors="surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        raise _too_big("compose", size)
    if not value.strip():
        raise ValidationFailed("the Compose file is empty", field="compose")
    return value


def _too_big(field: str, size: int) -> ValidationFailed:
    return ValidationFailed(
        f"{'the Compose file' if field == 'compose' else field} is {size} bytes, over the limit of 1 MB "
        f"({MAX_SOURCE_BYTES} bytes)",
        field=field,
    )


def files(value) -> dict[str, str]:
    """{path: text} of env_file, secret and config files; each at most 1 MB."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("files must be an object of {path: text}", field="files")
    if len(value) > MAX_FILES:
        raise ValidationFailed(f"at most {MAX_FILES} files may be uploaded with a revision", field="files")
    out: dict[str, str] = {}
    total = 0
    for path, text in value.items():
        if not isinstance(path, str) or not path.strip() or len(path) > 500 or "\x00" in path:
            raise ValidationFailed(f"file name {path!r} is not a valid path", field="files")
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationFailed(f"file {path!r} is not UTF-8 text", field=f"files.{path}")
        if not isinstance(text, str):
            raise ValidationFailed(f"file {path!r} must be given as text", field=f"files.{path}")
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > MAX_FILE_BYTES:
            raise ValidationFailed(
                f"file {path!r} is {size} bytes, over the limit of 1 MB ({MAX_FILE_BYTES} bytes)",
                field=f"files.{path}",
            )
        total += size
        out[path.strip()] = text
    if total > MAX_FILES_TOTAL:
        raise ValidationFailed(f"the files together are over {MAX_FILES_TOTAL // (1024 * 1024)} MB", field="files")
    return out


def variables(value) -> dict[str, str]:
    """{NAME: value}: names as the shell allows them; values are text (numbers and booleans are written as text)."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("variables must be an object of {NAME: value}", field="variables")
    if len(value) > MAX_VARIABLES:
        raise ValidationFailed(f"at most {MAX_VARIABLES} variables are allowed", field="variables")
    out: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not VARIABLE_NAME.match(name):
            raise ValidationFailed(
                f"variable name {name!r} is not valid: use letters, digits and '_', not starting with a digit",
                field="variables",
            )
        if isinstance(item, bool):
            item = "true" if item else "false"
        elif isinstance(item, int | float):
            item = str(item)
        elif item is None:
            item = ""
        if not isinstance(item, str):
            raise ValidationFailed(f"variable {name} must be text, a number or a boolean", field=f"variables.{name}")
        if len(item) > 64 * 1024:
            raise ValidationFailed(f"variable {name} is longer than 64 KB", field=f"variables.{name}")
        out[name] = item
    return out


def message(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed("the message must be text", field="message")
    value = value.strip()
    if len(value) > MAX_MESSAGE:
        raise ValidationFailed(f"the message is longer than {MAX_MESSAGE} characters", field="message")
    return value


def parse_env_text(text: str) -> dict[str, str]:
    """Variables written as KEY=value lines (the page's variables box); '#' lines and blank lines are skipped."""
    out: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, value = stripped.partition("=")
        if not sep:
            raise ValidationFailed(f"line {number}: write variables as NAME=value", field="variables")
        out[name.strip()] = value
    return variables(out)
