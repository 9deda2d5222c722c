"""Pages of import, adoption and export: a Docker 1.12 bundle (.dab) imported as a new project, the stacks running
without a project (with an Adopt button), and the download of a revision as a Compose file or a Docker 1.12 bundle.
Thin: one selector or service each."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.accounts.permissions import Action, can, require_any, teams_for
from apps.clusters.models import Cluster
from apps.clusters.selectors import clusters_for
from apps.core.errors import DavitError
from apps.swarm.errors import SwarmError

from . import forms, interchange, interchange_selectors, selectors
from .views import _form_error, page


def _stacks_by_cluster(user, cluster_id: str | None) -> list[dict]:
    """One service list per cluster the user can see (unreachable ones say why instead)."""
    clusters = clusters_for(user).order_by("name", "pk")
    if cluster_id:
        clusters = clusters.filter(pk=int(cluster_id)) if cluster_id.isdigit() else clusters.none()
    groups = []
    for cluster in clusters:
        group = {"cluster": cluster, "stacks": [], "error": "", "can_adopt": can(user, cluster.team_id, Action.OPERATE)}
        try:
            group["stacks"] = interchange_selectors.unowned_stacks(user, cluster)
        except SwarmError as exc:
            group["error"] = str(exc)
        groups.append(group)
    return groups


@page
def import_bundle(request):
    """GET: the import form. POST {name, team, cluster, bundle_file or bundle, message}: a project whose revision 1
    is the bundle's stack (nothing deployed); a refusal shows the form again with the error at its field (400)."""
    require_any(request.user, Action.OPERATE, "import a bundle")
    teams = teams_for(request.user, Action.OPERATE)
    clusters = Cluster.objects.filter(team__in=teams).order_by("name")
    form = forms.BundleImportForm(request.POST or None, request.FILES or None, teams=teams, clusters=clusters)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                project = interchange.project_import_bundle(
                    request.user, data["team"], data["cluster"], data["name"], data["bundle"], data["message"]
                )
            except DavitError as exc:
                if getattr(exc, "field", None) == "bundle":
                    form.add_error(data["bundle_field"], exc.message)
                else:
                    _form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Project %(name)s imported from the bundle with revision 1; it is not deployed yet.")
                    % {"name": project.name},
                )
                return redirect("projects:detail", project.pk)
        status = 400
    return render(request, "projects/import_bundle.html", {"form": form}, status=status)


@page
def stacks(request):
    """GET: stacks on the user's clusters that no project owns. POST {cluster, stack}: adopt one."""
    status = 200
    if request.method == "POST":
        require_any(request.user, Action.OPERATE, "adopt a stack")
        cluster = interchange_selectors.cluster_for(request.user, request.POST.get("cluster"))
        try:
            project = interchange.project_adopt(
                request.user,
                cluster.team_id,
                cluster,
                request.POST.get("stack", ""),
                message=request.POST.get("message"),
            )
        except DavitError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(
                request, _("Stack %(name)s adopted: revision 1 is its live state.") % {"name": project.name}
            )
            return redirect("projects:detail", project.pk)
    groups = _stacks_by_cluster(request.user, request.GET.get("cluster"))
    return render(request, "projects/stacks.html", {"groups": groups}, status=status)


@page
def export(request, pk):
    """A revision as a file to download: ?format=compose (default) or dab, ?revision=n."""
    project = selectors.project_get(request.user, pk)
    fmt = request.GET.get("format") or "compose"
    revision = interchange.export_revision(project, request.GET.get("revision"))
    text = interchange.exports(project, revision, fmt)
    content_type = "application/json" if fmt == "dab" else "application/x-yaml"
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{interchange.export_filename(project, revision, fmt)}"'
    return response
