"""Serializers of the accounts API: they parse and present; writes happen in apps.accounts.services."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import ApiToken, Membership, Role, Team
from .fields import TeamField


class TokenObtainSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, default="api")
    read_only = serializers.BooleanField(required=False, default=False)
    expires = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("When the token stops working (default: in 30 days).")
    )


class TokenSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "read_only", "expires", "created", "last_used", "revoked", "active"]
        read_only_fields = fields


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    read_only = serializers.BooleanField(required=False, default=False)
    expires = serializers.DateTimeField(required=False, allow_null=True, default=None)


class TokenIssuedSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text=_("The token's value, shown this once."))

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text=_("Your role in this team (null if you are not a member)."))
    member_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Team
        fields = ["id", "name", "description", "created", "role", "member_count"]
        read_only_fields = ["id", "created", "role", "member_count"]
        # uniqueness is checked (case-insensitively) by the service, which answers 409
        extra_kwargs = {"name": {"validators": []}}

    def get_role(self, team) -> str | None:
        roles = self.context.get("roles") or {}
        return roles.get(team.pk)


class TeamUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "team", "user", "username", "role", "created"]
        read_only_fields = fields


class MembershipCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)
    team = TeamField(required=False, help_text=_("Optional; when given it must be the team of the URL."))


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
