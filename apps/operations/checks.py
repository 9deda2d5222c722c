"""Pre-write checks: operation kind -> dotted paths of `check(ctx, specs, **facts) -> str | None`.

A runner calls `run_checks(kind, ctx, specs, **facts)` on the FINAL specs it is about to send, before its first
write; every path that starts an operation (a projects service, a retry, a direct `operation_start`) ends there.
A check returns None to let the run go on, or the sentence saying why it refuses: the operation then ends failed
with that sentence and nothing is written. Other apps register their checks from their AppConfig.ready(), so this
app imports none of them (e.g. apps.projects registers the team policy for "apply").
"""

from __future__ import annotations

from django.utils.module_loading import import_string

CHECKS: dict[str, list[str]] = {}


def register(kind: str, path: str) -> None:
    """Run the check at `path` before every operation of `kind` writes (registering twice runs it once)."""
    paths = CHECKS.setdefault(kind, [])
    if path not in paths:
        paths.append(path)


def registered(kind: str) -> list[str]:
    return list(CHECKS.get(kind, ()))


def run_checks(kind: str, ctx, specs: list[dict], **facts) -> None:
    """Raise OperationFailed with the first refusal of the checks registered for `kind`."""
    from .runner import OperationFailed

    for path in registered(kind):
        refusal = import_string(path)(ctx, specs, **facts)
        if refusal:
            raise OperationFailed(str(refusal))
