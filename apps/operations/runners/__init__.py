"""The runner registry: operation kind -> dotted path of `run(ctx)`.

Other apps plug their runners in without this app importing them: either add a line here, or call
`register("kind", "apps.x.runners.run", label=_("..."))` from their AppConfig.ready(). A runner receives a
`apps.operations.runner.Context`, returns a result dict (or None) and raises OperationFailed for a clean failure.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

RUNNERS: dict[str, str] = {
    "apply": "apps.operations.runners.apply.run",
    "pull": "apps.operations.runners.pull.run",
    "join_node": "apps.clusters.runners.join_node.run",
    "rotate_secret": "apps.clusters.runners.rotate.run_secret",
    "rotate_config": "apps.clusters.runners.rotate.run_config",
    "remove_stack": "apps.projects.runners.run",
}

LABELS: dict[str, str] = {
    "apply": _("Apply a stack"),
    "pull": _("Pull an image"),
    "join_node": _("Add a host"),
    "rotate_secret": _("Rotate a secret"),
    "rotate_config": _("Rotate a config"),
    "remove_stack": _("Remove a stack"),
}


class UnknownKind(LookupError):
    pass


def register(kind: str, path: str, label=None) -> None:
    RUNNERS[kind] = path
    if label is not None:
        LABELS[kind] = label


def known(kind: str) -> bool:
    return kind in RUNNERS


def label(kind: str) -> str:
    return str(LABELS.get(kind, kind))


def resolve(kind: str) -> Callable:
    try:
        path = RUNNERS[kind]
    except KeyError:
        raise UnknownKind(f"no runner is registered for operations of kind {kind!r}") from None
    return import_string(path)
