"""API of imports, exports and adoption (thin: parse, call one service or selector, shape the answer).

POST projects/import-bundle/      {team, cluster, name, bundle, message?} -> 201 the project (revision 1)
GET  projects/{id}/export/        ?format=compose|dab&revision=n -> the file (attachment)
GET  clusters/{id}/stacks/        stacks on the cluster that no project owns (one service list call)
POST projects/adopt/              {cluster, team, stack, name?, message?} -> 201 the project (deployed)
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from apps.accounts.permissions import Action, require_any

from .. import interchange, interchange_selectors, selectors
from . import serializers as s
from .views import project_created


class BundleImportSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    team = serializers.IntegerField()
    cluster = serializers.IntegerField()
    bundle = serializers.JSONField(help_text="The .dab file: its JSON text, or the JSON object itself.")
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class AdoptSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    cluster = serializers.IntegerField()
    stack = serializers.CharField(max_length=200, help_text="The stack's name (com.docker.stack.namespace).")
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class BundleImportView(APIView):
    """A project from a Docker 1.12 bundle (.dab): revision 1 holds its services; nothing is deployed yet."""

    @extend_schema(request=BundleImportSerializer, responses={201: s.ProjectSerializer})
    def post(self, request):
        require_any(request.user, Action.OPERATE, "import a bundle")
        form = BundleImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        project = interchange.project_import_bundle(
            request.user, data["team"], data["cluster"], data["name"], data["bundle"], data["message"]
        )
        return project_created(project)


class AdoptView(APIView):
    """Adopt a stack that runs on a cluster without a project: the project's revision 1 is its live state."""

    @extend_schema(request=AdoptSerializer, responses={201: s.ProjectSerializer})
    def post(self, request):
        require_any(request.user, Action.OPERATE, "adopt a stack")
        form = AdoptSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        project = interchange.project_adopt(
            request.user, data["team"], data["cluster"], data["stack"], data["name"] or None, data["message"]
        )
        return project_created(project)


class ExportView(APIView):
    """A revision as a file: `?format=compose` (default) or `dab`, `?revision=n` (default: the deployed one).

    `format` names the file format here, not a renderer: errors still answer in JSON."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=list(interchange.FORMATS)),
            OpenApiParameter("revision", int),
        ],
        responses={(200, "application/x-yaml"): OpenApiTypes.STR, (200, "application/json"): OpenApiTypes.OBJECT},
    )
    def get(self, request, pk):
        project = selectors.project_get(request.user, pk)
        fmt = request.query_params.get("format") or "compose"
        revision = interchange.export_revision(project, request.query_params.get("revision"))
        text = interchange.exports(project, revision, fmt)
        content_type = "application/json" if fmt == "dab" else "application/x-yaml"
        response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{interchange.export_filename(project, revision, fmt)}"'
        )
        return response


class ClusterStacksView(APIView):
    """Stacks on the cluster that no project owns (made with the CLI or elsewhere), with their services."""

    @extend_schema(responses={200: None})
    def get(self, request, pk):
        stacks = interchange_selectors.unowned_stacks(request.user, pk)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(stacks, request, view=self)
        return paginator.get_paginated_response(page)


urlpatterns = [
    path("projects/import-bundle/", BundleImportView.as_view(), name="project-import-bundle"),
    path("projects/adopt/", AdoptView.as_view(), name="project-adopt"),
    path("projects/<int:pk>/export/", ExportView.as_view(), name="project-export"),
    path("clusters/<int:pk>/stacks/", ClusterStacksView.as_view(), name="cluster-stacks"),
]
