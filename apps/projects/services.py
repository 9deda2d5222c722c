"""Writes of projects: create, revise, deploy, roll back, remove, mark deployed, accept drift, team policy.

Each function re-checks the actor's role, validates everything BEFORE its transaction (a refused request writes
nothing), then writes the change, its audit entry and, for long work, its Operation in one transaction.
The specs a revision stores are the FINAL Engine API bodies; the team policy is checked on them whatever made
them (Compose, rollback, drift, and later the wizard, templates, bundles, adoption).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max

from apps.accounts.models import Team
from apps.accounts.permissions import Action, require
from apps.audit.services import record
from apps.clusters.models import Cluster
from apps.core.errors import Conflict, NotFound, Unavailable, ValidationFailed
from apps.swarm import policy as swarm_policy
from apps.swarm.compose import ComposeError, StackPlan, load_stack
from apps.swarm.errors import SwarmError
from apps.swarm.export import plan_specs

from . import policy, validation
from .models import Origin, Project, Revision, TeamPolicy

logger = logging.getLogger(__name__)

RESOLVE_MODES = ("never", "always", "changed")
APPLY_KIND = "apply"
REMOVE_KIND = "remove_stack"


class ComposeInvalid(ValidationFailed):
    """A Compose file `docker stack deploy` would refuse: 400 naming the line and the field."""

    code = "invalid_compose"

    def __init__(self, error: ComposeError):
        self.compose_error = error
        self.line = error.line
        self.compose_field = error.field
        self.cause = error.message
        super().__init__(str(error), field="compose", errors={"compose": [str(error)]})


# ------------------------------------------------------------------------------------------------ reading
@dataclass
class Loaded:
    """What a revision stores, computed from its inputs before anything is written."""

    specs: dict
    data: dict
    warnings: list[str]


def specs_of(plan: StackPlan) -> tuple[dict, dict]:
    """The stored form of a plan (secret and config bodies without Data) and the data apart (sealed)."""
    data = {
        "secrets": {name: body["Data"] for name, body in plan.secrets.items() if body.get("Data")},
        "configs": {name: body["Data"] for name, body in plan.configs.items() if body.get("Data")},
    }
    return plan_specs(plan), data


def load_compose(namespace: str, compose, files=None, variables=None) -> Loaded:
    """Validate the inputs and read the Compose file as `docker stack deploy` would; ComposeInvalid otherwise."""
    text = validation.compose_text(compose)
    files = validation.files(files)
    variables = validation.variables(variables)
    try:
        plan = load_stack(text, namespace=namespace, files=files, variables=variables)
    except ComposeError as exc:
        raise ComposeInvalid(exc)
    except RecursionError:
        raise ComposeInvalid(ComposeError("the Compose file is nested too deeply to be read"))
    specs, data = specs_of(plan)
    return Loaded(specs=specs, data=data, warnings=list(plan.warnings))


# ------------------------------------------------------------------------------------------------ helpers
def _team(team) -> Team:
    if isinstance(team, Team):
        return team
    try:
        return Team.objects.get(pk=int(team))
    except (Team.DoesNotExist, TypeError, ValueError):
        raise NotFound("this team does not exist or you are not a member of it", field="team")


def _cluster_for(actor, team: Team, cluster) -> Cluster:
    if not isinstance(cluster, Cluster):
        try:
            cluster = Cluster.objects.get(pk=int(cluster))
        except (Cluster.DoesNotExist, TypeError, ValueError):
            raise ValidationFailed("this cluster does not exist or you are not a member of its team", field="cluster")
    if cluster.team_id != team.pk:
        raise ValidationFailed("this cluster does not exist or does not belong to the project's team", field="cluster")
    return cluster


def _check_stack_free(cluster: Cluster, name: str) -> None:
    """A new project must not take over a stack someone else runs under that name (adopt it instead).
    One service list; an unreachable cluster does not block the creation (nothing is deployed yet)."""
    if Project.objects.filter(cluster=cluster, name=name).exists():
        raise _name_taken(cluster, name)
    from apps.clusters.swarm import swarm_for
    from apps.swarm.services import NAMESPACE_LABEL

    try:
        running = swarm_for(cluster).service_list(labels={NAMESPACE_LABEL: name})
    except SwarmError:
        return
    if running:
        raise Conflict(
            f"a stack named {name!r} already runs on cluster {cluster.name} ({len(running)} service(s)) and no "
            "project owns it; adopt it or choose another name",
            field="name",
        )


def _name_taken(cluster: Cluster, name: str) -> Conflict:
    return Conflict(f"a project named {name!r} already exists on cluster {cluster.name}", field="name")


def _new_project(actor, team: Team, cluster: Cluster, name: str, *, variables=None, description="") -> Project:
    """Inside the caller's transaction, the role checked again: the project row, or Conflict when the cluster has
    one of that name."""
    require(actor, team, Action.OPERATE, "this team")
    if Project.objects.filter(cluster=cluster, name=name).exists():
        raise _name_taken(cluster, name)
    try:
        with transaction.atomic():
            return Project.objects.create(
                name=name, team=team, cluster=cluster, variables=variables or {}, description=description or ""
            )
    except IntegrityError:
        raise _name_taken(cluster, name)


def _lock_project(project: Project) -> Project:
    return Project.objects.select_for_update().select_related("team", "cluster").get(pk=project.pk)


def _next_number(project: Project) -> int:
    return (project.revisions.aggregate(top=Max("number"))["top"] or 0) + 1


def _store_revision(
    actor,
    project: Project,
    *,
    source: str,
    files: dict,
    variables: dict,
    specs: dict,
    data: dict,
    warnings: list,
    origin: str,
    message: str,
) -> Revision:
    """Inside the caller's transaction, with the project row locked: the next numbered revision."""
    revision = Revision(
        project=project,
        number=_next_number(project),
        source=source,
        variables=variables,
        specs=specs,
        warnings=list(warnings or []),
        origin=origin,
        author=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        message=message,
    )
    revision.files = files
    revision.object_data = data
    revision.save()
    return revision


def _revision_summary(revision: Revision) -> dict:
    return {
        "revision": revision.number,
        "origin": revision.origin,
        "services": revision.service_names,
        "files": revision.file_names,
        "variables": sorted(revision.variables),
        "message": revision.message,
    }


# ------------------------------------------------------------------------------------------------ create
def _store_compose_revision(actor, project, compose, files, variables, loaded, origin, message) -> Revision:
    """A revision from a Compose file that `load_compose` read: its text, files, variables and what it made."""
    return _store_revision(
        actor,
        project,
        source=validation.compose_text(compose),
        files=files,
        variables=variables,
        specs=loaded.specs,
        data=loaded.data,
        warnings=loaded.warnings,
        origin=origin,
        message=message,
    )


def project_create(
    actor,
    team,
    cluster,
    name,
    compose,
    files=None,
    variables=None,
    message="",
    *,
    description: str = "",
    origin: str = Origin.COMPOSE,
) -> Project:
    """A project and its revision 1 from a Compose file (nothing is deployed yet)."""
    team = _team(team)
    require(actor, team, Action.OPERATE, "this team")
    cluster = _cluster_for(actor, team, cluster)
    name = validation.stack_name(name)
    message = validation.message(message)
    loaded = load_compose(name, compose, files, variables)
    policy.enforce(team, loaded.specs)
    files, variables = validation.files(files), validation.variables(variables)
    _check_stack_free(cluster, name)
    with transaction.atomic():
        project = _new_project(actor, team, cluster, name, variables=variables, description=description)
        message = message or "Created"
        revision = _store_compose_revision(actor, project, compose, files, variables, loaded, origin, message)
        record(
            actor,
            "project.create",
            project,
            summary={"cluster": cluster.name, **_revision_summary(revision)},
        )
    return project


def project_create_from_specs(
    actor,
    team,
    cluster,
    name,
    specs: dict,
    *,
    origin: str,
    message: str = "",
    source: str = "",
    files: dict | None = None,
    variables: dict | None = None,
    data: dict | None = None,
    warnings: list | None = None,
    deployed: bool = False,
    description: str = "",
) -> Project:
    """A project whose revision 1 is made of specs another path built (a bundle, a template, an adopted stack):
    the same checks as a Compose project (role, team, cluster, name, shape, team policy on the final specs).
    `deployed=True` (adoption: the stack already runs) marks revision 1 as the deployed one; an existing stack
    of that name is then expected rather than refused."""
    team = _team(team)
    require(actor, team, Action.OPERATE, "this team")
    if origin not in Origin.values:
        raise ValidationFailed(f"unknown origin {origin!r}", field="origin")
    cluster = _cluster_for(actor, team, cluster)
    name = validation.stack_name(name)
    message = validation.message(message)
    _check_specs_shape(Project(name=name), specs)
    policy.enforce(team, specs)
    files, variables = validation.files(files), validation.variables(variables)
    if not deployed:
        _check_stack_free(cluster, name)
    with transaction.atomic():
        project = _new_project(actor, team, cluster, name, variables=variables, description=description)
        revision = _store_revision(
            actor,
            project,
            source=source or "",
            files=files,
            variables=variables,
            specs=specs,
            data=data or {},
            warnings=warnings or [],
            origin=origin,
            message=message or "Created",
        )
        if deployed:
            project.deployed_revision = revision
            project.save(update_fields=["deployed_revision", "updated"])
        record(
            actor,
            "project.create",
            project,
            summary={"cluster": cluster.name, "deployed": deployed, **_revision_summary(revision)},
        )
    return project


# ------------------------------------------------------------------------------------------------ revise
def revision_create(
    actor,
    project: Project,
    compose,
    files=None,
    variables=None,
    message="",
    origin: str = Origin.COMPOSE,
) -> Revision:
    """A new revision from a Compose file. `files`/`variables` None keep those of the latest revision."""
    require(actor, project.team_id, Action.OPERATE, "this project")
    if origin not in Origin.values:
        raise ValidationFailed(f"unknown origin {origin!r}", field="origin")
    message = validation.message(message)
    latest = project.latest_revision()
    if files is None:
        files = latest.files if latest else {}
    if variables is None:
        variables = dict(project.variables or {})
    loaded = load_compose(project.name, compose, files, variables)
    policy.enforce(project.team_id, loaded.specs)
    files, variables = validation.files(files), validation.variables(variables)
    with transaction.atomic():
        require(actor, project.team_id, Action.OPERATE, "this project")
        locked = _lock_project(project)
        revision = _store_compose_revision(actor, locked, compose, files, variables, loaded, origin, message)
        locked.variables = variables
        locked.save(update_fields=["variables", "updated"])
        record(actor, "project.revise", locked, summary=_revision_summary(revision))
    project.variables = variables
    return revision


def revision_from_specs(
    actor,
    project: Project,
    specs: dict,
    *,
    origin: str,
    message: str = "",
    source: str = "",
    files: dict | None = None,
    variables: dict | None = None,
    data: dict | None = None,
    warnings: list | None = None,
) -> Revision:
    """A revision made of specs another path built (wizard, template, bundle, adoption, drift): the same
    checks (role, shape, team policy on the final specs) and the same record as a Compose revision."""
    require(actor, project.team_id, Action.OPERATE, "this project")
    if origin not in Origin.values:
        raise ValidationFailed(f"unknown origin {origin!r}", field="origin")
    _check_specs_shape(project, specs)
    policy.enforce(project.team_id, specs)
    message = validation.message(message)
    files = validation.files(files)
    variables = validation.variables(project.variables if variables is None else variables)
    with transaction.atomic():
        require(actor, project.team_id, Action.OPERATE, "this project")
        locked = _lock_project(project)
        revision = _store_revision(
            actor,
            locked,
            source=source or "",
            files=files,
            variables=variables,
            specs=specs,
            data=data or {},
            warnings=warnings or [],
            origin=origin,
            message=message,
        )
        record(actor, "project.revise", locked, summary=_revision_summary(revision))
    return revision


SPEC_SECTIONS = ("services", "networks", "secrets", "configs", "volumes")


def _check_specs_shape(project: Project, specs: dict) -> None:
    if not isinstance(specs, dict) or not isinstance(specs.get("services"), dict):
        raise ValidationFailed("the specs must hold a mapping of services", field="specs")
    for section in SPEC_SECTIONS:
        if not isinstance(specs.get(section, {}), dict):
            raise ValidationFailed(f"specs.{section} must be a mapping", field=f"specs.{section}")
    prefix = f"{project.name}_"
    for key, spec in specs["services"].items():
        if not isinstance(spec, dict):
            raise ValidationFailed(f"specs.services.{key} must be a service spec", field=f"specs.services.{key}")
        name = spec.get("Name", "")
        if not isinstance(name, str) or not name.startswith(prefix):
            raise ValidationFailed(
                f"service {name!r} is not in the project's stack (its name must start with {prefix!r})",
                field=f"specs.services.{key}.Name",
            )
        image = ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image")
        if not isinstance(image, str) or not image:
            raise ValidationFailed(
                f"service {name} has no image", field=f"specs.services.{key}.TaskTemplate.ContainerSpec.Image"
            )


# ------------------------------------------------------------------------------------------------ deploy
def _registry_auths(credentials) -> dict:
    """{registry host: {username, password, serveraddress}} from a mapping or a list of credentials."""
    if not credentials:
        return {}
    items = []
    if isinstance(credentials, dict):
        if "username" in credentials:
            items = [credentials]
        else:
            items = [{"serveraddress": host, **(body or {})} for host, body in credentials.items()]
    elif isinstance(credentials, list | tuple):
        items = list(credentials)
    else:
        raise ValidationFailed("registry credentials must be a list or mapping", field="registry_credentials")
    out: dict = {}
    for item in items:
        if not isinstance(item, dict) or not item.get("serveraddress") or not item.get("username"):
            raise ValidationFailed(
                "each registry credential needs serveraddress, username and password", field="registry_credentials"
            )
        host = str(item["serveraddress"]).removeprefix("https://").removeprefix("http://").rstrip("/")
        out[host] = {"username": item["username"], "password": item.get("password", ""), "serveraddress": host}
    return out


def _host_like_networks(project: Project, specs: dict) -> tuple[str, ...]:
    """Names and ids of the cluster's networks reaching the host (macvlan, ipvlan, host), when the revision
    names external networks and the policy forbids host networking (one network list call)."""
    externals = specs.get("external_networks") or []
    if not externals or swarm_policy.HOST_NETWORK in TeamPolicy.for_team(project.team_id).allowed():
        return ()
    from apps.clusters.swarm import swarm_for

    try:
        networks = swarm_for(project.cluster).network_list()
    except SwarmError as exc:
        raise Unavailable(f"the external networks of this revision cannot be checked against the team's policy: {exc}")
    return tuple(swarm_policy.host_network_names(networks))


def deploy_params(project: Project, revision: Revision, **options) -> tuple[dict, dict]:
    """The `apply` parameters and sealed secrets of a revision (secret/config data and registry auth sealed)."""
    specs = revision.specs or {}
    services = specs.get("services") or {}
    data = revision.object_data
    params = {
        "namespace": project.namespace,
        "services": [copy.deepcopy(services[key]) for key in sorted(services)],
        "networks": copy.deepcopy(specs.get("networks") or {}),
        "secrets": copy.deepcopy(specs.get("secrets") or {}),
        "configs": copy.deepcopy(specs.get("configs") or {}),
        "external_networks": list(specs.get("external_networks") or []),
        "external_secrets": list(specs.get("external_secrets") or []),
        "external_configs": list(specs.get("external_configs") or []),
        "prune": bool(options.get("prune")),
        "prune_resources": bool(options.get("prune_resources")),
        "resolve_image": options.get("resolve_image", "never"),
        "detach": bool(options.get("detach")),
        "project_id": project.pk,
        "revision_id": revision.pk,
        "revision": revision.number,
    }
    sealed = {
        "secrets": dict(data["secrets"]),
        "configs": dict(data["configs"]),
        "registry_auths": _registry_auths(options.get("registry_credentials")),
    }
    return params, {k: v for k, v in sealed.items() if v}


def _revision_of(project: Project, revision) -> Revision:
    if revision is None:
        found = project.latest_revision()
        if found is None:
            raise ValidationFailed("this project has no revision to deploy", field="revision")
        return found
    if isinstance(revision, Revision):
        if revision.project_id != project.pk:
            raise ValidationFailed("this revision belongs to another project", field="revision")
        return revision
    try:
        return project.revisions.get(number=int(revision))
    except (Revision.DoesNotExist, TypeError, ValueError):
        raise ValidationFailed(f"project {project.name} has no revision {revision}", field="revision")


def project_deploy(
    actor,
    project: Project,
    revision=None,
    *,
    prune: bool = False,
    prune_resources: bool = False,
    resolve_image: str = "never",
    detach: bool = False,
    registry_credentials=None,
    reason: str = "deploy",
):
    """Start an `apply` operation of a revision (the latest when None) on the project's cluster."""
    from apps.operations.services import operation_start

    require(actor, project.team_id, Action.OPERATE, "this project")
    revision = _revision_of(project, revision)
    if resolve_image not in RESOLVE_MODES:
        raise ValidationFailed(
            f"resolve_image must be one of {', '.join(RESOLVE_MODES)}, not {resolve_image!r}", field="resolve_image"
        )
    policy.enforce(project.team_id, revision.specs, host_network_ids=_host_like_networks(project, revision.specs))
    params, sealed = deploy_params(
        project,
        revision,
        prune=prune,
        prune_resources=prune_resources,
        resolve_image=resolve_image,
        detach=detach,
        registry_credentials=registry_credentials,
    )
    with transaction.atomic():
        require(actor, project.team_id, Action.OPERATE, "this project")
        locked = _lock_project(project)
        operation = operation_start(
            actor,
            kind=APPLY_KIND,
            team=locked.team,
            target=locked,
            cluster=locked.cluster,
            params=params,
            sealed=sealed or None,
            lock_key=locked.lock_key,
            summary={"project": locked.name, "revision": revision.number, "reason": reason},
        )
        record(
            actor,
            f"project.{reason}",
            locked,
            summary={
                "revision": revision.number,
                "operation": operation.pk,
                "prune": prune,
                "prune_resources": prune_resources,
                "resolve_image": resolve_image,
                "detach": detach,
                "registry_auth": bool(sealed.get("registry_auths")),
            },
        )
    return operation


def project_rollback(actor, project: Project, to_revision, **deploy_options):
    """A new revision copying `to_revision` (origin rollback), then its deploy; returns the operation."""
    require(actor, project.team_id, Action.OPERATE, "this project")
    source = _revision_of(project, to_revision)
    policy.enforce(project.team_id, source.specs)
    with transaction.atomic():
        require(actor, project.team_id, Action.OPERATE, "this project")
        locked = _lock_project(project)
        revision = _store_revision(
            actor,
            locked,
            source=source.source,
            files=source.files,
            variables=dict(source.variables or {}),
            specs=copy.deepcopy(source.specs),
            data=source.object_data,
            warnings=list(source.warnings or []),
            origin=Origin.ROLLBACK,
            message=f"Rollback to revision {source.number}",
        )
        locked.variables = dict(source.variables or {})
        locked.save(update_fields=["variables", "updated"])
        record(actor, "project.revise", locked, summary={**_revision_summary(revision), "from": source.number})
        operation = project_deploy(actor, locked, revision, reason="rollback", **deploy_options)
    return operation


def project_mark_deployed(operation) -> Project | None:
    """After a succeeded `apply` of a project revision: the project's deployed revision is that one.

    Called by the operations' finish signal inside the transaction that ends the operation; ignores other
    operations, and never moves the mark back to an older operation's revision.
    """
    params = operation.params or {}
    project_id, revision_id = params.get("project_id"), params.get("revision_id")
    if not project_id or not revision_id:
        return None
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None or not Revision.objects.filter(pk=revision_id, project_id=project_id).exists():
        return None
    project.deployed_revision_id = revision_id
    project.save(update_fields=["deployed_revision", "updated"])
    record(
        None,
        "project.deployed",
        project,
        summary={"revision": params.get("revision"), "operation": operation.pk},
    )
    return project


def on_operation_finished(sender, operation, status, **kwargs) -> None:
    """Receiver of apps.operations' finish signal."""
    if status != "succeeded":
        return
    if operation.kind == APPLY_KIND:
        project_mark_deployed(operation)
    elif operation.kind == REMOVE_KIND:
        project_mark_removed(operation)


def project_mark_removed(operation) -> Project | None:
    project_id = (operation.params or {}).get("project_id")
    project = Project.objects.select_for_update().filter(pk=project_id).first() if project_id else None
    if project is None:
        return None
    project.deployed_revision = None
    project.save(update_fields=["deployed_revision", "updated"])
    return project


# ------------------------------------------------------------------------------------------------ remove
def project_remove(actor, project: Project, *, volumes: bool = False):
    """Start a `remove_stack` operation: the stack's services, then its secrets, configs and networks;
    its volumes only when asked."""
    from apps.operations.services import operation_start

    require(actor, project.team_id, Action.OPERATE, "this project")
    with transaction.atomic():
        require(actor, project.team_id, Action.OPERATE, "this project")
        locked = _lock_project(project)
        operation = operation_start(
            actor,
            kind=REMOVE_KIND,
            team=locked.team,
            target=locked,
            cluster=locked.cluster,
            params={"namespace": locked.namespace, "volumes": bool(volumes), "project_id": locked.pk},
            lock_key=locked.lock_key,
            summary={"project": locked.name, "volumes": bool(volumes)},
        )
        record(actor, "project.remove", locked, summary={"operation": operation.pk, "volumes": bool(volumes)})
    return operation


# ------------------------------------------------------------------------------------------------ drift
def drift_reapply(actor, project: Project, *, prune: bool = True, **deploy_options):
    """Deploy the deployed revision again: the swarm goes back to what was decided (services running with the
    stack's label but not in the revision are removed, unless prune=False)."""
    require(actor, project.team_id, Action.OPERATE, "this project")
    if project.deployed_revision_id is None:
        raise Conflict("this project has no deployed revision to re-apply", field="action")
    return project_deploy(actor, project, project.deployed_revision, prune=prune, reason="reapply", **deploy_options)


def drift_accept(actor, project: Project, message: str = "") -> Revision:
    """A new revision (origin drift) whose service specs are the live ones: what runs becomes what is decided."""
    from .selectors import live_stack_specs

    require(actor, project.team_id, Action.OPERATE, "this project")
    deployed = project.deployed_revision
    if deployed is None:
        raise Conflict("this project has no deployed revision; there is no drift to accept", field="action")
    live = live_stack_specs(project)
    specs = copy.deepcopy(deployed.specs)
    specs["services"] = live
    with transaction.atomic():
        revision = revision_from_specs(
            actor,
            project,
            specs,
            origin=Origin.DRIFT,
            message=validation.message(message) or f"Accepted the live state (drift from revision {deployed.number})",
            source=_compose_of(project, specs, deployed),
            files=deployed.files,
            variables=dict(deployed.variables or {}),
            data=deployed.object_data,
            warnings=[],
        )
        # what runs is this revision: it is the deployed one from now on
        Project.objects.filter(pk=project.pk).update(deployed_revision=revision)
        project.deployed_revision = revision
    return revision


def _compose_of(project: Project, specs: dict, deployed: Revision) -> str:
    """A Compose file for specs that came from the swarm (the stored specs stay the truth of the revision)."""
    from apps.swarm.export import compose_from_specs

    try:
        return compose_from_specs(specs, project.namespace)
    except Exception:  # an exporter failure must not lose the live state
        logger.exception("exporting project %s to Compose failed", project.pk)
        return ""


# ------------------------------------------------------------------------------------------------ policy
def team_policy_update(actor, team, **flags) -> TeamPolicy:
    """A team admin changes what the team's revisions may ask of the swarm."""
    team = _team(team)
    require(actor, team, Action.ADMIN, "this team's policy")
    unknown = set(flags) - set(TeamPolicy.FLAGS)
    if unknown:
        raise ValidationFailed(f"unknown policy settings: {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise ValidationFailed(f"{key} must be true or false", field=key)
    with transaction.atomic():
        require(actor, team, Action.ADMIN, "this team's policy")
        current, _created = TeamPolicy.objects.select_for_update().get_or_create(team=team)
        before = {flag: getattr(current, flag) for flag in TeamPolicy.FLAGS}
        for key, value in flags.items():
            setattr(current, key, value)
        current.save()
        after = {flag: getattr(current, flag) for flag in TeamPolicy.FLAGS}
        record(
            actor,
            "team.policy",
            current,
            team=team,
            summary={k: [before[k], after[k]] for k in TeamPolicy.FLAGS if before[k] != after[k]},
        )
    return current
