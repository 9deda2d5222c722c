"""Cluster pages: clusters, nodes, add a host, engines, networks, volumes, secrets and configs.

Views stay thin: one selector or service each. A stopped engine never gives a 500: live sections show the
engine's sentence (the page answers 503 when its whole content is live), and actions come back with a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import Action, can, require_any, teams_for
from apps.core.errors import DavitError, Forbidden, ValidationFailed
from apps.core.pages import error_message as _message
from apps.core.pages import error_pages
from apps.swarm.errors import SwarmError

from . import forms, selectors, services

OBJECT_KINDS = ("secret", "config")

page = error_pages("clusters/error.html")


def _live(read):
    """(value, error sentence) of a live read; the error is shown in place of the section. Other errors (a node
    that does not exist: 404) answer as pages of their own."""
    try:
        return read(), ""
    except SwarmError as exc:
        return None, _message(exc)


def _act(request, back: str, work, success: str, then=None):
    """Run one write from a POST; its error becomes a message on the page we go back to, its success a message on
    `then` (a URL, or a function of the result giving one; default: `back`)."""
    try:
        result = work()
    except Forbidden:
        raise  # the page answers 403, as for a role that is too low from the start
    except (DavitError, SwarmError) as exc:
        messages.error(request, _message(exc))
        return redirect(back)
    messages.success(request, success.format(result=result) if "{result" in success else success)
    return redirect(then(result) if callable(then) else then or back)


def _submit(request, form, work) -> tuple[bool, object, int]:
    """The write of a form page: (done, result, status). On a POST of a valid form `work(cleaned_data)` runs (one
    service call); a refusal lands on the form at its field. Not done: status 200 for a GET, 400 for a POST."""
    if request.method != "POST":
        return False, None, 200
    if form.is_valid():
        try:
            return True, work(dict(form.cleaned_data)), 200
        except (DavitError, SwarmError) as exc:
            _form_errors(form, exc)
    return False, None, 400


def _form_errors(form, exc: Exception) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, _message(exc))


def _operation_url(operation, fallback: str) -> str:
    try:
        return operation.get_absolute_url()
    except NoReverseMatch:
        return fallback


def _roles(user, cluster) -> dict:
    return {
        "can_operate": can(user, cluster.team, Action.OPERATE),
        "can_admin": can(user, cluster.team, Action.ADMIN),
    }


# ------------------------------------------------------------------------------------------------- clusters


@page
def cluster_list(request):
    clusters = selectors.clusters_for(request.user)
    can_register = teams_for(request.user, Action.ADMIN).exists()
    return render(request, "clusters/list.html", {"clusters": clusters, "can_register": can_register})


@page
def cluster_create(request):
    require_any(request.user, Action.ADMIN, "register a cluster")
    teams = teams_for(request.user, Action.ADMIN)
    form = forms.ClusterForm(request.POST or None, teams=teams)
    done, cluster, status = _submit(request, form, lambda data: services.cluster_register(request.user, **data))
    if done:
        messages.success(request, _("Cluster %(name)s registered.") % {"name": cluster.name})
        return redirect("clusters:detail", cluster.pk)
    return render(request, "clusters/form.html", {"form": form, "title": _("Register a cluster")}, status=status)


@page
def cluster_detail(request, pk):
    cluster = selectors.cluster_get(request.user, pk)
    nodes, error = _live(lambda: selectors.node_rows(cluster))
    context = {"cluster": cluster, "nodes": nodes or [], "live_error": error, **_roles(request.user, cluster)}
    return render(request, "clusters/detail.html", context)


@page
def cluster_edit(request, pk):
    cluster = selectors.cluster_get(request.user, pk, Action.ADMIN)
    teams = teams_for(request.user, Action.ADMIN)
    initial = {
        "name": cluster.name,
        "team": cluster.team_id,
        "description": cluster.description,
        "endpoint_url": cluster.endpoint_url,
        "tls_ca": cluster.tls_ca,
        "tls_cert": cluster.tls_cert,
    }
    form = forms.ClusterEditForm(request.POST or None, initial=initial, teams=teams)

    def save(data):
        # an empty key field keeps the stored key
        return services.cluster_update(request.user, cluster, **{**data, "tls_key": data["tls_key"] or None})

    done, _result, status = _submit(request, form, save)
    if done:
        messages.success(request, _("Cluster %(name)s saved.") % {"name": cluster.name})
        return redirect("clusters:detail", cluster.pk)
    title = _("Edit cluster %(name)s") % {"name": cluster.name}
    return render(request, "clusters/form.html", {"form": form, "title": title, "cluster": cluster}, status=status)


@page
def cluster_remove(request, pk):
    cluster = selectors.cluster_get(request.user, pk, Action.ADMIN)
    if request.method == "POST":
        try:
            services.cluster_remove(request.user, cluster)
        except (DavitError, SwarmError) as exc:
            messages.error(request, _message(exc))
            return redirect("clusters:detail", cluster.pk)
        messages.success(
            request, _("Cluster %(name)s removed from Davit (the swarm is untouched).") % {"name": cluster.name}
        )
        return redirect("clusters:list")
    blockers = services.cluster_blockers(cluster)
    return render(request, "clusters/remove.html", {"cluster": cluster, "blockers": blockers})


@page
@require_POST
def cluster_refresh(request, pk):
    cluster = selectors.cluster_get(request.user, pk, Action.OPERATE)
    services.cluster_refresh(cluster)
    if cluster.reachable:
        messages.success(request, _("Cluster %(name)s checked: reachable.") % {"name": cluster.name})
    else:
        messages.error(request, cluster.last_error)
    return redirect("clusters:detail", cluster.pk)


# ------------------------------------------------------------------------------------------------- nodes


@page
def node_detail(request, pk, node_id):
    cluster = selectors.cluster_get(request.user, pk)
    detail, error = _live(lambda: selectors.node_detail(cluster, node_id))
    context = {"cluster": cluster, "detail": detail, "node": (detail or {}).get("node"), "live_error": error}
    context.update(_roles(request.user, cluster))
    return render(request, "clusters/node.html", context, status=503 if error else 200)


@page
@require_POST
def node_update(request, pk, node_id):
    cluster = selectors.cluster_get(request.user, pk, Action.OPERATE)
    back = reverse("clusters:node", args=[cluster.pk, node_id])
    post = request.POST
    version = post.get("version") or None
    what = post.get("action", "")
    changes: dict = {}
    if what == "availability":
        changes["availability"] = post.get("availability", "")
    elif what in ("promote", "demote"):
        changes["role"] = "manager" if what == "promote" else "worker"
    elif what == "label-set":
        key = post.get("key", "").strip()
        changes["add_labels"] = {key: post.get("value", "")}
    elif what == "label-remove":
        changes["remove_labels"] = [post.get("key", "")]
    else:
        messages.error(request, _("Unknown node action."))
        return redirect(back)
    return _act(
        request,
        back,
        lambda: services.node_update(request.user, cluster, node_id, version=version, **changes),
        _("Node updated."),
    )


@page
@require_POST
def node_remove(request, pk, node_id):
    cluster = selectors.cluster_get(request.user, pk, Action.OPERATE)
    force = request.POST.get("force") in ("on", "1", "true")
    return _act(
        request,
        reverse("clusters:node", args=[cluster.pk, node_id]),
        lambda: services.node_remove(request.user, cluster, node_id, force=force),
        _("Node %(id)s removed from the swarm.") % {"id": node_id[:12]},
        then=reverse("clusters:detail", args=[cluster.pk]),
    )


# ------------------------------------------------------------------------------------------------- join


@page
def join(request, pk):
    cluster = selectors.cluster_get(request.user, pk, Action.ADMIN)
    form = forms.JoinForm(request.POST or None)
    done, operation, status = _submit(request, form, lambda data: services.node_add(request.user, cluster, **data))
    if done:
        messages.success(request, _("Adding the host: follow the operation."))
        return redirect(_operation_url(operation, reverse("clusters:detail", args=[cluster.pk])))
    info, error = _live(lambda: selectors.join_info(request.user, cluster))
    context = {"cluster": cluster, "form": form, "info": info, "live_error": error}
    return render(request, "clusters/join.html", context, status=status)


@page
@require_POST
def join_rotate(request, pk):
    cluster = selectors.cluster_get(request.user, pk, Action.ADMIN)
    role = request.POST.get("role", "")
    return _act(
        request,
        reverse("clusters:join", args=[cluster.pk]),
        lambda: services.join_token_rotate(request.user, cluster, role),
        _("The %(role)s join token was rotated; the old one no longer works.") % {"role": role},
    )


# ------------------------------------------------------------------------------------------------- engines


@page
def engines(request, pk):
    cluster = selectors.cluster_get(request.user, pk)
    roles = _roles(request.user, cluster)
    form = forms.EngineForm(request.POST or None)
    if request.method == "POST":
        selectors.cluster_get(request.user, pk, Action.ADMIN)
    done, engine, status = _submit(request, form, lambda data: services.engine_register(request.user, cluster, **data))
    if done:
        messages.success(request, _("Engine of node %(node)s recorded.") % {"node": engine.hostname})
        return redirect("clusters:engines", cluster.pk)
    context = {"cluster": cluster, "engines": selectors.engines_for(cluster), "form": form, **roles}
    return render(request, "clusters/engines.html", context, status=status)


@page
@require_POST
def engine_remove(request, pk, engine_pk):
    cluster = selectors.cluster_get(request.user, pk, Action.ADMIN)
    engine = selectors.engine_get(request.user, cluster, engine_pk, Action.ADMIN)
    return _act(
        request,
        reverse("clusters:engines", args=[cluster.pk]),
        lambda: services.engine_remove(request.user, engine),
        _("Engine forgotten."),
    )


# ------------------------------------------------------------------------------------------------- networks


@page
def networks(request, pk):
    cluster = selectors.cluster_get(request.user, pk)
    roles = _roles(request.user, cluster)
    form = forms.NetworkForm(request.POST or None)
    if request.method == "POST":
        selectors.cluster_get(request.user, pk, Action.OPERATE)

    def create(data):
        data["labels"] = services.parse_labels(data["labels"])
        return services.network_create(request.user, cluster, **data)

    done, row, status = _submit(request, form, create)
    if done:
        messages.success(request, _("Network %(name)s created.") % {"name": row["name"]})
        return redirect("clusters:networks", cluster.pk)
    rows, error = _live(lambda: selectors.network_rows(cluster))
    context = {"cluster": cluster, "networks": rows or [], "live_error": error, "form": form, **roles}
    return render(request, "clusters/networks.html", context, status=status if not error else 503)


@page
@require_POST
def network_remove(request, pk, network_id):
    cluster = selectors.cluster_get(request.user, pk, Action.OPERATE)
    return _act(
        request,
        reverse("clusters:networks", args=[cluster.pk]),
        lambda: services.network_remove(request.user, cluster, network_id),
        _("Network removed."),
    )


@page
def networks_all(request):
    return render(request, "clusters/networks_all.html", {"sections": selectors.networks_all(request.user)})


# ------------------------------------------------------------------------------------------------- volumes


@page
def volumes(request, pk):
    cluster = selectors.cluster_get(request.user, pk)
    roles = _roles(request.user, cluster)
    node = request.GET.get("node") or request.POST.get("node") or ""
    form = forms.VolumeForm(request.POST or None, initial={"node": node, "driver": "local"})
    if request.method == "POST":
        selectors.cluster_get(request.user, pk, Action.OPERATE)

    def create(data):
        data["labels"] = services.parse_labels(data["labels"])
        data["driver_opts"] = services.parse_labels(data["driver_opts"], "driver_opts")
        return services.volume_create(request.user, cluster, **data)

    done, _result, status = _submit(request, form, create)
    if done:
        messages.success(request, _("Volume %(name)s created.") % {"name": form.cleaned_data["name"]})
        return redirect(reverse("clusters:volumes", args=[cluster.pk]) + (f"?node={node}" if node else ""))
    try:
        result, error = selectors.volume_rows(cluster, node), ""
    except ValidationFailed as exc:  # no engine is known for that node: say so, keep the node picker
        result, error, status = None, _message(exc), 400
    except SwarmError as exc:
        result, error, status = None, _message(exc), 503
    node_id, rows = result if result else (node, [])
    context = {
        "cluster": cluster,
        "node": node_id,
        "nodes": selectors.volume_nodes(cluster),
        "volumes": rows,
        "live_error": error,
        "form": form,
        **roles,
    }
    return render(request, "clusters/volumes.html", context, status=status)


@page
@require_POST
def volume_remove(request, pk, node_id, name):
    cluster = selectors.cluster_get(request.user, pk, Action.OPERATE)
    return _act(
        request,
        reverse("clusters:volumes", args=[cluster.pk]) + f"?node={node_id}",
        lambda: services.volume_remove(request.user, cluster, node=node_id, name=name),
        _("Volume removed."),
    )


# ------------------------------------------------------------------------------------------------- secrets, configs


def _object_value(form, kind: str) -> bytes:
    upload = form.cleaned_data.get("file")
    text = form.cleaned_data.get("text") or ""
    if upload and text:
        raise DavitError(_("give the value as text or as a file, not both"), field="text")
    if upload:
        if upload.size > services.MAX_OBJECT_BYTES:
            raise DavitError(
                _("the file is %(size)s bytes; Docker keeps at most %(max)s bytes")
                % {"size": upload.size, "max": services.MAX_OBJECT_BYTES},
                field="file",
            )
        return upload.read()
    return text.encode()


@page
def objects(request, pk, kind):
    cluster = selectors.cluster_get(request.user, pk)
    roles = _roles(request.user, cluster)
    form = forms.ObjectForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        selectors.cluster_get(request.user, pk, Action.OPERATE)

    def create(data):
        value, labels = _object_value(form, kind), services.parse_labels(data["labels"])
        return services.object_create(request.user, cluster, kind, name=data["name"], data=value, labels=labels)

    done, _result, status = _submit(request, form, create)
    if done:
        messages.success(
            request,
            _("%(kind)s %(name)s created.")
            % {"kind": _("Secret") if kind == "secret" else _("Config"), "name": form.cleaned_data["name"]},
        )
        return redirect(f"clusters:{kind}s", cluster.pk)
    rows, error = _live(lambda: selectors.object_rows(cluster, kind))
    context = {
        "cluster": cluster,
        "kind": kind,
        "rows": rows or [],
        "live_error": error,
        "form": form,
        "rotate_form": forms.RotateForm(),
        **roles,
    }
    return render(request, "clusters/objects.html", context, status=status if not error else 503)


@page
@require_POST
def object_remove(request, pk, kind, obj_id):
    cluster = selectors.cluster_get(request.user, pk, Action.OPERATE)
    return _act(
        request,
        reverse(f"clusters:{kind}s", args=[cluster.pk]),
        lambda: services.object_remove(request.user, cluster, kind, obj_id),
        _("%(kind)s removed.") % {"kind": _("Secret") if kind == "secret" else _("Config")},
    )


@page
@require_POST
def object_rotate(request, pk, kind, obj_id):
    cluster = selectors.cluster_get(request.user, pk, Action.OPERATE)
    back = reverse(f"clusters:{kind}s", args=[cluster.pk])
    form = forms.RotateForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("The new value could not be read."))
        return redirect(back)
    return _act(
        request,
        back,
        lambda: services.object_rotate(request.user, cluster, kind, obj_id, data=_object_value(form, kind)),
        _("Rotation started: follow the operation."),
        then=lambda operation: _operation_url(operation, back),
    )


@page
def secrets_all(request):
    return render(request, "clusters/secrets_all.html", {"sections": selectors.secrets_all(request.user)})
