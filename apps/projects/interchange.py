"""Stacks in and out of Davit: import a Docker 1.12 bundle (.dab) as a project, adopt a stack that runs on a cluster
without a project, and export any revision as a Compose file or a bundle.

The writes follow the projects app's rules (apps.projects.services): the actor's role is checked again inside the
transaction, everything is validated before it (a refused request writes nothing), the team policy is enforced on
the final specs, and the change and its audit entry are written together.
"""

from __future__ import annotations

import base64
import binascii

from django.db import transaction

from apps.accounts.permissions import Action, require
from apps.audit.services import record
from apps.core.errors import Conflict, Unavailable, ValidationFailed
from apps.swarm.errors import SwarmError
from apps.swarm.export import (
    BundleError,
    ExportError,
    bundle_from_specs,
    bundle_text,
    compose_from_specs,
    object_files,
    parse_bundle,
    specs_from_bundle,
)

from . import policy, validation
from .interchange_selectors import live_stack, owned_stacks
from .models import Origin, Project, Revision
from .services import (
    _check_specs_shape,
    _check_stack_free,
    _cluster_for,
    _new_project,
    _revision_summary,
    _store_revision,
    _team,
)

FORMATS = ("compose", "dab")


class BundleInvalid(ValidationFailed):
    """A bundle Davit cannot read: 400 naming the field of the bundle and the cause."""

    code = "invalid_bundle"

    def __init__(self, error: BundleError):
        self.bundle_error = error
        super().__init__(str(error), field="bundle", errors={"bundle": [str(error)]})


# ------------------------------------------------------------------------------------------------ bundle
def project_import_bundle(actor, team, cluster, name, bundle_json, message="") -> Project:
    """A project whose revision 1 (origin "bundle") is the stack a Docker 1.12 bundle describes, converted as
    `docker deploy` did (see apps.swarm.export.specs_from_bundle). Nothing is deployed yet."""
    team = _team(team)
    require(actor, team, Action.OPERATE, "this team")
    cluster = _cluster_for(actor, team, cluster)
    name = validation.stack_name(name)
    message = validation.message(message)
    if bundle_json is None or bundle_json == "":
        raise ValidationFailed("a bundle (the .dab file's JSON) is required", field="bundle")
    try:
        bundle = parse_bundle(bundle_json)
        specs = specs_from_bundle(bundle, name)
    except BundleError as exc:
        raise BundleInvalid(exc)
    policy.enforce(team, specs)
    _check_stack_free(cluster, name)  # a stack run without a project is adopted, not taken over by an import
    source = bundle_json if isinstance(bundle_json, str) else bundle_text(bundle)
    with transaction.atomic():
        project = _new_project(actor, team, cluster, name)
        _check_specs_shape(project, specs)
        revision = _store_revision(
            actor,
            project,
            source=source,
            files={},
            variables={},
            specs=specs,
            data={},
            warnings=[],
            origin=Origin.BUNDLE,
            message=message or "Imported from a bundle",
        )
        record(
            actor,
            "project.create",
            project,
            summary={"cluster": cluster.name, **_revision_summary(revision)},
        )
    return project


# ------------------------------------------------------------------------------------------------ adopt
def _text_files(specs: dict, namespace: str, data: dict) -> dict[str, str]:
    """The exported Compose file's config files, from the configs' live content (text only; secrets cannot be
    read from a swarm)."""
    files = {}
    for (kind, name), path in object_files(specs, namespace).items():
        encoded = (data.get(f"{kind}s") or {}).get(name)
        if not encoded:
            continue
        try:
            files[path] = base64.b64decode(encoded).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
    return files


def project_adopt(actor, team, cluster, stack_name, name=None, message="") -> Project:
    """A project for a stack that runs on the cluster without one (made with `docker stack deploy` or elsewhere).

    Revision 1 (origin "adopt") holds the stack's live specs and a Compose file reconstructed from them, and is
    marked deployed: later deploys of the project update the same services (same names and labels) in place.
    A project manages the stack of its own name, so `name`, when given, must be the stack's name."""
    team = _team(team)
    require(actor, team, Action.OPERATE, "this team")
    cluster = _cluster_for(actor, team, cluster)
    if not isinstance(stack_name, str) or not stack_name.strip():
        raise ValidationFailed("name the stack to adopt", field="stack")
    stack_name = stack_name.strip()
    try:
        stack_name = validation.stack_name(stack_name)
    except ValidationFailed as exc:
        raise ValidationFailed(f"stack {stack_name!r} cannot become a project: {exc}", field="stack")
    if name not in (None, "") and name != stack_name:
        raise ValidationFailed(
            f"a project manages the stack named like it: adopting stack {stack_name!r} makes project {stack_name!r}",
            field="name",
        )
    message = validation.message(message)
    if stack_name in owned_stacks(cluster):
        raise Conflict(f"stack {stack_name!r} on cluster {cluster.name} already belongs to a project", field="stack")
    try:
        live = live_stack(cluster, stack_name)
    except SwarmError as exc:
        raise Unavailable(f"the stacks of cluster {cluster.name} cannot be read: {exc}")
    if live is None:
        raise ValidationFailed(
            f"no service of a stack named {stack_name!r} runs on cluster {cluster.name}", field="stack"
        )
    policy.enforce(team, live.specs)
    warnings = list(live.warnings)
    try:
        source = compose_from_specs(
            live.specs, stack_name, header=f"Reconstructed by Davit from stack {stack_name} on cluster {cluster.name}"
        )
    except ExportError as exc:
        source = ""
        warnings.append(f"No Compose file could be reconstructed: {exc.message}")
    files = _text_files(live.specs, stack_name, live.data)
    with transaction.atomic():
        project = _new_project(actor, team, cluster, stack_name, description=f"Adopted from cluster {cluster.name}")
        _check_specs_shape(project, live.specs)
        revision = _store_revision(
            actor,
            project,
            source=source,
            files=files,
            variables={},
            specs=live.specs,
            data=live.data,
            warnings=warnings,
            origin=Origin.ADOPT,
            message=message or f"Adopted stack {stack_name}",
        )
        project.deployed_revision = revision
        project.save(update_fields=["deployed_revision", "updated"])
        record(
            actor,
            "project.adopt",
            project,
            summary={"cluster": cluster.name, "stack": stack_name, **_revision_summary(revision)},
        )
    return project


# ------------------------------------------------------------------------------------------------ export
def export_revision(project: Project, revision) -> Revision:
    if isinstance(revision, Revision):
        if revision.project_id != project.pk:
            raise ValidationFailed("this revision belongs to another project", field="revision")
        return revision
    if revision in (None, ""):
        found = project.deployed_revision or project.latest_revision()
        if found is None:
            raise ValidationFailed(f"project {project.name} has no revision to export", field="revision")
        return found
    try:
        return project.revisions.get(number=int(revision))
    except (Revision.DoesNotExist, TypeError, ValueError):
        raise ValidationFailed(f"project {project.name} has no revision {revision}", field="revision")


def export_filename(project: Project, revision: Revision, fmt: str) -> str:
    return f"{project.name}-r{revision.number}." + ("dab" if fmt == "dab" else "yml")


def exports(project: Project, revision=None, fmt: str = "compose") -> str:
    """A revision (by default the deployed one, else the latest) as a Compose file or a Docker 1.12 bundle.

    The Compose file reads back into the same specs (what Compose cannot say is listed at its top); it names
    the secret and config files to upload with it, whose contents are never exported. A bundle holds what the
    format can (image, command, environment, labels, networks, ports, user, working directory).
    The caller checks that the reader may view the project."""
    if fmt not in FORMATS:
        raise ValidationFailed(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}", field="format")
    found = export_revision(project, revision)
    specs = found.specs or {}
    try:
        if fmt == "dab":
            return bundle_text(bundle_from_specs(specs, project.namespace))
        return compose_from_specs(
            specs,
            project.namespace,
            header=f"Exported by Davit: project {project.name}, revision {found.number} ({found.get_origin_display()})",
        )
    except ExportError as exc:
        raise ValidationFailed(f"revision {found.number} cannot be exported as {fmt}: {exc.message}", field="format")
