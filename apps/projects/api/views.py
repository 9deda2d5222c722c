"""The projects API (thin: parse, call one selector or service, shape the answer).

Writes that start long work (deploy, rollback, remove, drift re-apply) answer 202 with the operation.
"""

from __future__ import annotations

from django.db.models import Max
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Team
from apps.accounts.permissions import Action, require, require_any
from apps.core.errors import NotFound, ValidationFailed
from apps.operations.responses import OperationAcceptedSerializer, accepted

from .. import selectors, services
from . import serializers as s


def _project(request, pk, action: Action = Action.VIEW):
    return selectors.project_get(request.user, pk, action)


def project_created(project) -> Response:
    """201 with the new project and its revision 1 (create, bundle import, adoption)."""
    body = s.ProjectSerializer(project).data
    body["revision"] = s.RevisionSerializer(project.latest_revision()).data
    return Response(body, status=status.HTTP_201_CREATED)


class ProjectViewSet(viewsets.GenericViewSet):
    """Projects (stacks) of the caller's teams, with deploy, rollback, remove and drift."""

    serializer_class = s.ProjectSerializer

    def get_queryset(self):
        queryset = selectors.projects_for(self.request.user).annotate(latest_number=Max("revisions__number"))
        for key in ("team", "cluster"):
            value = self.request.query_params.get(key)
            if value:
                if not value.isdigit():
                    raise ValidationFailed(f"{key} must be an id", field=key)
                queryset = queryset.filter(**{f"{key}_id": int(value)})
        return queryset

    @extend_schema(
        parameters=[OpenApiParameter("team", int), OpenApiParameter("cluster", int)],
        responses={200: s.ProjectSerializer(many=True)},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ProjectSerializer(page, many=True).data)

    @extend_schema(request=s.ProjectCreateSerializer, responses={201: s.ProjectSerializer})
    def create(self, request):
        """A project and its revision 1 from a Compose file; nothing is deployed yet (POST deploy/)."""
        require_any(request.user, Action.OPERATE, "create a project")
        form = s.ProjectCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        project = services.project_create(
            request.user,
            data["team"],
            data["cluster"],
            data["name"],
            data["compose"],
            data.get("files"),
            data.get("variables"),
            data.get("message", ""),
            description=data.get("description", ""),
        )
        return project_created(project)

    def retrieve(self, request, pk=None):
        return Response(s.ProjectSerializer(_project(request, pk)).data)

    @extend_schema(request=s.DeploySerializer, responses={202: OperationAcceptedSerializer})
    @action(detail=True, methods=["post"])
    def deploy(self, request, pk=None):
        """Deploy a revision (the latest by default): 202 with the `apply` operation."""
        project = _project(request, pk, Action.OPERATE)
        form = s.DeploySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        operation = services.project_deploy(
            request.user,
            project,
            data.get("revision"),
            prune=data["prune"],
            prune_resources=data["prune_resources"],
            resolve_image=data["resolve_image"],
            detach=data["detach"],
            registry_credentials=data.get("registry_credentials"),
        )
        return accepted(operation, request)

    @extend_schema(request=s.RollbackSerializer, responses={202: s.RollbackAcceptedSerializer})
    @action(detail=True, methods=["post"])
    def rollback(self, request, pk=None):
        """A new revision copying the one named, deployed: 202 with the operation."""
        project = _project(request, pk, Action.OPERATE)
        form = s.RollbackSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        operation = services.project_rollback(request.user, project, form.validated_data["revision"])
        revision = project.latest_revision()
        return accepted(operation, request, revision=s.RevisionSerializer(revision).data)

    @extend_schema(request=s.RemoveSerializer, responses={202: OperationAcceptedSerializer})
    @action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        """Remove the stack from the swarm (services, networks, secrets, configs; volumes if asked)."""
        project = _project(request, pk, Action.OPERATE)
        form = s.RemoveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        operation = services.project_remove(request.user, project, volumes=form.validated_data["volumes"])
        return accepted(operation, request)

    @extend_schema(methods=["GET"], responses={200: None})
    @extend_schema(
        methods=["POST"], request=s.DriftActionSerializer, responses={201: None, 202: OperationAcceptedSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def drift(self, request, pk=None):
        """GET: the deployed revision against the swarm, per service, per field. POST {action}: reapply
        (202 with the operation) or accept (201 with the new revision made from the live state)."""
        if request.method == "GET":
            project = _project(request, pk)
            return Response(selectors.project_drift(project))
        project = _project(request, pk, Action.OPERATE)
        form = s.DriftActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if form.validated_data["action"] == "reapply":
            return accepted(services.drift_reapply(request.user, project), request)
        revision = services.drift_accept(request.user, project, form.validated_data["message"])
        return Response({"revision": s.RevisionSerializer(revision).data}, status=status.HTTP_201_CREATED)


class RevisionListView(APIView):
    """GET: the project's revisions, newest first. POST: a new revision from a Compose file (operators)."""

    @extend_schema(responses={200: s.RevisionSerializer(many=True)})
    def get(self, request, pk):
        project = _project(request, pk)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.revisions_of(project), request, view=self)
        return paginator.get_paginated_response(s.RevisionSerializer(page, many=True).data)

    @extend_schema(request=s.RevisionCreateSerializer, responses={201: s.RevisionDetailSerializer})
    def post(self, request, pk):
        project = _project(request, pk, Action.OPERATE)
        form = s.RevisionCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        revision = services.revision_create(
            request.user, project, data["compose"], data.get("files"), data.get("variables"), data["message"]
        )
        return Response(s.RevisionDetailSerializer(revision).data, status=status.HTTP_201_CREATED)


class RevisionView(APIView):
    @extend_schema(responses={200: s.RevisionDetailSerializer})
    def get(self, request, pk, number):
        project = _project(request, pk)
        return Response(s.RevisionDetailSerializer(selectors.revision_get(project, number)).data)


class RevisionDiffView(APIView):
    """Revision {number} against ?against=m (default: the revision before it), per service, per field."""

    @extend_schema(parameters=[OpenApiParameter("against", int)], responses={200: None})
    def get(self, request, pk, number):
        project = _project(request, pk)
        against = request.query_params.get("against")
        if against is None:
            against = int(number) - 1
            if against < 1:
                raise ValidationFailed("revision 1 has no revision before it; name one with ?against=", field="against")
        elif not str(against).isdigit():
            raise ValidationFailed("against must be a revision number", field="against")
        return Response(selectors.revision_diff(project, against, number))


class TeamPolicyView(APIView):
    """GET: a team's policy (members). PATCH: change it (team admins)."""

    def _team(self, request, pk, action: Action):
        team = Team.objects.filter(pk=pk).first()
        if team is None:
            raise NotFound("this team does not exist or you are not a member of it")
        require(request.user, team, action, "this team's policy")
        return team

    @extend_schema(responses={200: s.TeamPolicySerializer})
    def get(self, request, pk):
        team = self._team(request, pk, Action.VIEW)
        policy = selectors.team_policy(team)
        return Response(s.TeamPolicySerializer(policy).data)

    @extend_schema(request=s.TeamPolicyUpdateSerializer, responses={200: s.TeamPolicySerializer})
    def patch(self, request, pk):
        team = self._team(request, pk, Action.ADMIN)
        form = s.TeamPolicyUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        policy = services.team_policy_update(request.user, team, **form.validated_data)
        return Response(s.TeamPolicySerializer(policy).data)
