"""The accounts API: token exchange, the caller's tokens, teams and their members. Views stay thin: they parse,
call a selector or a service, and present."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.core.errors import ValidationFailed

from .. import selectors, services
from ..models import ApiToken, Membership, Team
from ..permissions import Action, require_superuser
from .serializers import (
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    TeamSerializer,
    TeamUpdateSerializer,
    TokenCreateSerializer,
    TokenIssuedSerializer,
    TokenObtainSerializer,
    TokenSerializer,
)

ERROR = inline_serializer(
    "Error",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(required=False),
        "errors": serializers.DictField(required=False),
    },
)


def _issued(token: ApiToken, value: str) -> dict:
    data = TokenSerializer(token).data
    data["token"] = value
    return data


class AuthTokenView(APIView):
    """Exchange a username and password for an API token (rate limited; repeated wrong passwords lock out)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=TokenObtainSerializer,
        responses={
            201: TokenIssuedSerializer,
            400: ERROR,
            401: OpenApiResponse(ERROR, description="Wrong username or password."),
            429: OpenApiResponse(ERROR, description="Too many attempts: throttled or locked out."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # django-axes watches the Django request: its middleware turns a lockout into 429
        django_request = request._request
        user = authenticate(request=django_request, username=data["username"], password=data["password"])
        if getattr(django_request, "axes_locked_out", False):
            return Response(
                {"detail": "Too many failed attempts: try again later.", "code": "locked_out"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None:
            return Response(
                {"detail": "Wrong username or password.", "code": "invalid_credentials"},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": "Token"},
            )
        expires = data.get("expires") or timezone.now() + services.default_token_lifetime()
        token, value = services.token_create(user, name=data["name"], expires=expires, read_only=data["read_only"])
        return Response(_issued(token, value), status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Your API tokens (values are never shown again)."),
    retrieve=extend_schema(summary="One of your API tokens."),
    destroy=extend_schema(summary="Revoke one of your API tokens.", responses={204: None, 404: ERROR}),
)
class TokenViewSet(viewsets.GenericViewSet):
    serializer_class = TokenSerializer
    queryset = ApiToken.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return selectors.tokens_of(self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TokenSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(TokenSerializer(selectors.token_get(request.user, pk)).data)

    @extend_schema(
        summary="Create an API token; its value is in this response only.",
        request=TokenCreateSerializer,
        responses={201: TokenIssuedSerializer, 400: ERROR},
    )
    def create(self, request):
        serializer = TokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, value = services.token_create(request.user, **serializer.validated_data)
        return Response(_issued(token, value), status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        services.token_revoke(request.user, selectors.token_get(request.user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Revoke one of your API tokens.", request=None, responses={200: TokenSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.token_revoke(request.user, selectors.token_get(request.user, pk))
        return Response(TokenSerializer(token).data)


@extend_schema_view(
    list=extend_schema(summary="The teams you are a member of (every team for superusers)."),
    retrieve=extend_schema(summary="One team.", responses={200: TeamSerializer, 404: ERROR}),
)
class TeamViewSet(viewsets.GenericViewSet):
    serializer_class = TeamSerializer
    queryset = Team.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Team.objects.none()
        return selectors.teams_visible(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            context["roles"] = dict(selectors.memberships_of_user(user).values_list("team_id", "role"))
        return context

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        team = selectors.team_get(request.user, pk)
        return Response(self.get_serializer(team).data)

    @extend_schema(summary="Create a team (superusers only).", responses={201: TeamSerializer, 403: ERROR})
    def create(self, request):
        require_superuser(request.user, "create a team")
        serializer = TeamSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = services.team_create(request.user, **serializer.validated_data)
        return Response(self.get_serializer(team).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rename or describe a team (team admins).",
        request=TeamUpdateSerializer,
        responses={200: TeamSerializer, 403: ERROR, 404: ERROR},
    )
    def partial_update(self, request, pk=None):
        team = selectors.team_get(request.user, pk, Action.ADMIN)
        serializer = TeamUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = services.team_update(request.user, team, **serializer.validated_data)
        return Response(self.get_serializer(team).data)


TEAM_PK = OpenApiParameter("team_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The team's id.")


@extend_schema_view(
    list=extend_schema(summary="Members of a team and their roles.", parameters=[TEAM_PK]),
    retrieve=extend_schema(summary="One membership.", parameters=[TEAM_PK]),
    destroy=extend_schema(
        summary="Remove a member (team admins).", parameters=[TEAM_PK], responses={204: None, 403: ERROR, 404: ERROR}
    ),
)
class TeamMemberViewSet(viewsets.GenericViewSet):
    serializer_class = MembershipSerializer
    queryset = Membership.objects.none()

    def list(self, request, team_pk=None):
        team = selectors.team_get(request.user, team_pk)
        page = self.paginate_queryset(selectors.memberships_of_team(request.user, team))
        return self.get_paginated_response(MembershipSerializer(page, many=True).data)

    def retrieve(self, request, team_pk=None, pk=None):
        return Response(MembershipSerializer(selectors.membership_get(request.user, team_pk, pk)).data)

    @extend_schema(
        summary="Add a member by username (team admins).",
        parameters=[TEAM_PK],
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
    )
    def create(self, request, team_pk=None):
        team = selectors.team_get(request.user, team_pk, Action.ADMIN)
        serializer = MembershipCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("team") is not None and data["team"].pk != team.pk:
            raise ValidationFailed("the team in the body is not the team of the URL", field="team")
        membership = services.member_add(request.user, team, username=data["username"], role=data["role"])
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a member's role (team admins).",
        parameters=[TEAM_PK],
        request=MembershipUpdateSerializer,
        responses={200: MembershipSerializer, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
    )
    def partial_update(self, request, team_pk=None, pk=None):
        membership = selectors.membership_get(request.user, team_pk, pk, Action.ADMIN)
        serializer = MembershipUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.member_change(request.user, membership, role=serializer.validated_data["role"])
        return Response(MembershipSerializer(membership).data)

    def destroy(self, request, team_pk=None, pk=None):
        services.member_remove(request.user, selectors.membership_get(request.user, team_pk, pk, Action.ADMIN))
        return Response(status=status.HTTP_204_NO_CONTENT)
