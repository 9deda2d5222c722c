"""Project pages: the list, a project with its live services, tasks, drift, revisions and operations, the Compose
editor (errors shown at their line), a revision, the diff of two revisions, the live services of all projects,
and the team policy.

Views stay thin: one selector or service each. Live sections never give a 500: an unreachable swarm shows its
sentence in place of the section.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.models import Team
from apps.accounts.permissions import Action, can, require, require_any, teams_for
from apps.clusters.models import Cluster
from apps.core.errors import DavitError, NotFound
from apps.core.pages import error_message as _message
from apps.core.pages import error_pages
from apps.swarm.errors import SwarmError

from . import diffing, forms, selectors, services, validation
from .models import TeamPolicy

page = error_pages()


def _roles(user, project) -> dict:
    return {
        "can_operate": can(user, project.team_id, Action.OPERATE),
        "can_admin": can(user, project.team_id, Action.ADMIN),
    }


def _form_error(form, exc: Exception) -> None:
    field = getattr(exc, "field", None)
    if field and "." in field:
        field = field.split(".", 1)[0]
    form.add_error(field if field in form.fields else None, _message(exc))


def _source_lines(text: str, error_line: int | None) -> list[dict]:
    return [
        {"number": number, "text": line, "error": number == error_line}
        for number, line in enumerate((text or "").splitlines() or [""], start=1)
    ]


def _editor_context(form, exc) -> dict:
    """The Compose error of a refused save, placed at its line of the submitted text."""
    if not isinstance(exc, services.ComposeInvalid):
        return {}
    text = form.data.get("compose", "") if form.is_bound else ""
    return {
        "compose_error": {"line": exc.line, "field": exc.compose_field, "cause": exc.cause, "text": exc.message},
        "source_lines": _source_lines(text, exc.line),
    }


def _variables_text(values: dict) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted((values or {}).items()))


# ------------------------------------------------------------------------------------------------ list/create
@page
def project_list(request):
    projects = selectors.projects_for(request.user).order_by("name", "pk")
    can_create = teams_for(request.user, Action.OPERATE).exists()
    return render(request, "projects/list.html", {"projects": projects, "can_create": can_create})


def _editor(request, form, save, context: dict):
    """The Compose editor: a valid POST calls `save(cleaned_data)` -> (project, sentence) and goes to the project;
    a refused save shows its error at its field (and, for Compose, at its line) with status 400."""
    extra: dict = {}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                project, text = save(form.cleaned_data)
            except DavitError as exc:
                _form_error(form, exc)
                extra = _editor_context(form, exc)
            else:
                messages.success(request, text)
                return redirect("projects:detail", project.pk)
        status = 400
    return render(request, "projects/editor.html", {"form": form, **context, **extra}, status=status)


@page
def project_create(request):
    require_any(request.user, Action.OPERATE, "create a project")
    teams = teams_for(request.user, Action.OPERATE)
    clusters = Cluster.objects.filter(team__in=teams).order_by("name")
    form = forms.ProjectForm(request.POST or None, request.FILES or None, teams=teams, clusters=clusters)

    def save(data):
        project = services.project_create(
            request.user,
            data["team"],
            data["cluster"],
            data["name"],
            data["compose"],
            data["files"],
            validation.parse_env_text(data["variables"]),
            data["message"],
        )
        return project, _("Project %(name)s created with revision 1.") % {"name": project.name}

    return _editor(request, form, save, {"title": _("New project")})


# ------------------------------------------------------------------------------------------------ project
@page
def project_detail(request, pk):
    project = selectors.project_get(request.user, pk)
    revisions = list(selectors.revisions_of(project)[:50])
    context = {
        "project": project,
        "revisions": revisions,
        "latest": revisions[0] if revisions else None,
        "operations": selectors.recent_operations(project),
        "policy": selectors.team_policy(project.team_id),
        "deploy_form": forms.DeployForm(),
        **_roles(request.user, project),
    }
    return render(request, "projects/detail.html", context)


@page
def project_live(request, pk):
    """The live part of the project page (htmx fragment, refreshed): services, tasks, drift."""
    project = selectors.project_get(request.user, pk)
    live = selectors.project_live(project)
    context = {"project": project, "live": live, **_roles(request.user, project)}
    return render(request, "projects/_live.html", context, status=200)


@page
def project_revise(request, pk):
    project = selectors.project_get(request.user, pk, Action.OPERATE)
    latest = project.latest_revision()
    initial = {
        "compose": latest.source if latest else "",
        "variables": _variables_text(project.variables),
        "keep_files": True,
    }
    form = forms.RevisionForm(request.POST or None, request.FILES or None, initial=initial)

    def save(data):
        files = dict(latest.files) if (latest and data["keep_files"]) else {}
        files.update(data["files"])
        revision = services.revision_create(
            request.user,
            project,
            data["compose"],
            files,
            validation.parse_env_text(data["variables"]),
            data["message"],
        )
        return project, _("Revision %(number)d saved.") % {"number": revision.number}

    context = {"project": project, "latest": latest, "title": _("Edit %(name)s") % {"name": project.name}}
    return _editor(request, form, save, context)


@page
def revision_detail(request, pk, number):
    project = selectors.project_get(request.user, pk)
    revision = selectors.revision_get(project, number)
    services_rows = [
        {"key": key, "spec": diffing.show(spec)} for key, spec in sorted((revision.specs.get("services") or {}).items())
    ]
    context = {
        "project": project,
        "revision": revision,
        "source_lines": _source_lines(revision.source, None),
        "services": services_rows,
        **_roles(request.user, project),
    }
    return render(request, "projects/revision.html", context)


@page
def revision_diff(request, pk, number):
    project = selectors.project_get(request.user, pk)
    against = request.GET.get("against")
    if against in (None, ""):
        against = int(number) - 1
    if not str(against).isdigit() or int(against) < 1:
        raise NotFound(_("choose a revision to compare with"))
    diff = selectors.revision_diff(project, int(against), number)
    numbers = list(project.revisions.order_by("-number").values_list("number", flat=True))
    context = {"project": project, "diff": diff, "numbers": numbers, "number": int(number), "against": int(against)}
    return render(request, "projects/diff.html", context)


# ------------------------------------------------------------------------------------------------ actions
def _to_operation(request, operation, text: str):
    messages.success(request, text)
    return redirect("operations:detail", operation.pk)


@page
@require_POST
def project_deploy(request, pk):
    project = selectors.project_get(request.user, pk, Action.OPERATE)
    form = forms.DeployForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The deploy options are not valid."))
        return redirect("projects:detail", project.pk)
    data = form.cleaned_data
    try:
        operation = services.project_deploy(
            request.user,
            project,
            data.get("revision"),
            prune=data["prune"],
            prune_resources=data["prune_resources"],
            resolve_image=data.get("resolve_image") or "never",
            detach=data["detach"],
        )
    except DavitError as exc:
        messages.error(request, _message(exc))
        return redirect("projects:detail", project.pk)
    return _to_operation(request, operation, _("Deploy of %(name)s started.") % {"name": project.name})


@page
@require_POST
def project_rollback(request, pk):
    project = selectors.project_get(request.user, pk, Action.OPERATE)
    form = forms.RollbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the revision to roll back to."))
        return redirect("projects:detail", project.pk)
    try:
        operation = services.project_rollback(request.user, project, form.cleaned_data["revision"])
    except DavitError as exc:
        messages.error(request, _message(exc))
        return redirect("projects:detail", project.pk)
    text = _("Rollback of %(name)s to revision %(number)d started.")
    return _to_operation(request, operation, text % {"name": project.name, "number": form.cleaned_data["revision"]})


@page
def project_remove(request, pk):
    project = selectors.project_get(request.user, pk, Action.OPERATE)
    form = forms.RemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        operation = services.project_remove(request.user, project, volumes=form.cleaned_data["volumes"])
        return _to_operation(request, operation, _("Removal of stack %(name)s started.") % {"name": project.name})
    return render(request, "projects/remove.html", {"project": project, "form": form})


@page
@require_POST
def drift_accept(request, pk):
    project = selectors.project_get(request.user, pk, Action.OPERATE)
    try:
        revision = services.drift_accept(request.user, project, request.POST.get("message", ""))
    except (DavitError, SwarmError) as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("The live state was saved as revision %(number)d.") % {"number": revision.number})
    return redirect("projects:detail", project.pk)


# ------------------------------------------------------------------------------------------------ services
@page
def services_list(request):
    overview = selectors.services_overview(request.user)
    return render(request, "projects/services.html", {"overview": overview})


# ------------------------------------------------------------------------------------------------ policy
@page
def team_policy(request, team_pk):
    team = Team.objects.filter(pk=team_pk).first()
    if team is None:
        raise NotFound(_("this team does not exist or you are not a member of it"))
    require(request.user, team, Action.VIEW, _("this team's policy"))
    current = TeamPolicy.for_team(team)
    initial = {flag: getattr(current, flag) for flag in TeamPolicy.FLAGS}
    form = forms.PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(request.user, team, Action.ADMIN, _("this team's policy"))
        if form.is_valid():
            services.team_policy_update(request.user, team, **form.cleaned_data)
            messages.success(request, _("The policy of team %(team)s was saved.") % {"team": team.name})
            return redirect("projects:policy", team.pk)
    context = {"team": team, "form": form, "can_admin": can(request.user, team, Action.ADMIN)}
    return render(request, "projects/policy.html", context)
