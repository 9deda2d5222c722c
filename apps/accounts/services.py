"""Writes of accounts: API tokens, teams, memberships, passwords. Each re-checks permission inside its
transaction and records an audit entry; secret values never reach the audit log."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.audit.services import record
from apps.core.errors import Conflict, NotFound, ValidationFailed

from .models import ApiToken, Membership, Role, Team, hash_token
from .permissions import Action, is_superuser, require, require_superuser

TOKEN_BYTES = 32
PREFIX_LENGTH = 8


def default_token_lifetime() -> timedelta:
    return timedelta(days=int(getattr(settings, "DAVIT_TOKEN_DAYS", 30)))


def _clean_name(value, *, field: str, what: str, max_length: int) -> str:
    name = (value or "").strip() if isinstance(value, str) or value is None else None
    if name is None:
        raise ValidationFailed(f"{field} must be text", field=field)
    if not name:
        raise ValidationFailed(f"{what} needs a {field}", field=field)
    if len(name) > max_length:
        raise ValidationFailed(f"{field} is {len(name)} characters long; at most {max_length} are allowed", field=field)
    return name


def _clean_role(role) -> str:
    if role not in Role.values:
        raise ValidationFailed(f"role must be one of {', '.join(Role.values)}, not {role!r}", field="role")
    return role


# --- API tokens -------------------------------------------------------------------------------------------


def token_create(
    actor, *, name: str, expires: datetime | None = None, read_only: bool = False, user=None
) -> tuple[ApiToken, str]:
    """Issue a token for `user` (default: the actor). Returns the row and the value, which is never stored:
    the caller shows it once."""
    owner = user or actor
    if owner is None or not owner.is_authenticated:
        raise ValidationFailed("a token belongs to a user")
    if owner != actor:
        require_superuser(actor, "issue a token for another user")
    name = _clean_name(name, field="name", what="a token", max_length=100)
    if expires is not None and expires <= timezone.now():
        raise ValidationFailed("expires must be in the future", field="expires")
    value = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=owner,
            name=name,
            prefix=value[:PREFIX_LENGTH],
            key_hash=hash_token(value),
            read_only=bool(read_only),
            expires=expires,
        )
        record(
            actor,
            "token.create",
            token,
            summary={
                "user": owner.get_username(),
                "name": name,
                "read_only": token.read_only,
                "expires": expires.isoformat() if expires else None,
            },
        )
    return token, value


def token_touch(token: ApiToken) -> None:
    """Note that a token was just used (an observation shown on the profile page, not audited)."""
    ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())


def token_revoke(actor, token: ApiToken) -> ApiToken:
    """Revoke a token (the row stays, with the time of revocation). Only its owner or a superuser may."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").filter(pk=token.pk).first()
        if token is None or (token.user_id != getattr(actor, "pk", None) and not is_superuser(actor)):
            raise NotFound("this token does not exist or is not yours")
        if token.revoked is not None:
            return token
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        record(actor, "token.revoke", token, summary={"user": token.user.get_username(), "name": token.name})
    return token


# --- teams and members ------------------------------------------------------------------------------------


def team_create(actor, *, name: str, description: str = "") -> Team:
    require_superuser(actor, "create a team")
    name = _clean_name(name, field="name", what="a team", max_length=100)
    with transaction.atomic():
        if Team.objects.filter(name__iexact=name).exists():
            raise Conflict(f"a team named {name!r} already exists", field="name")
        team = Team.objects.create(name=name, description=description or "")
        record(actor, "team.create", team, team=team, summary={"name": name})
    return team


def team_update(actor, team: Team, *, name: str | None = None, description: str | None = None) -> Team:
    require(actor, team, Action.ADMIN, "this team")
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        require(actor, team, Action.ADMIN, "this team")
        changes = {}
        if name is not None:
            name = _clean_name(name, field="name", what="a team", max_length=100)
            if name != team.name:
                if Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
                    raise Conflict(f"a team named {name!r} already exists", field="name")
                changes["name"] = [team.name, name]
                team.name = name
        if description is not None and description != team.description:
            changes["description"] = [team.description, description]
            team.description = description
        if changes:
            team.save(update_fields=list(changes))
            record(actor, "team.update", team, team=team, summary=changes)
    return team


def _admins_left(team_id: int, without: Membership) -> int:
    return Membership.objects.filter(team_id=team_id, role=Role.ADMIN).exclude(pk=without.pk).count()


def member_add(actor, team: Team, *, username: str, role: str = Role.VIEWER) -> Membership:
    require(actor, team, Action.ADMIN, "this team")
    username = _clean_name(username, field="username", what="a member", max_length=150)
    role = _clean_role(role)
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(f"there is no active user named {username!r}", field="username")
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=team.pk)
        require(actor, team, Action.ADMIN, "this team")
        existing = Membership.objects.filter(team=team, user=user).first()
        if existing is not None:
            raise Conflict(f"{username} is already a member of {team.name} (as {existing.role})", field="username")
        membership = Membership.objects.create(team=team, user=user, role=role)
        record(actor, "membership.add", membership, team=team, summary={"user": username, "role": role})
    return membership


def member_change(actor, membership: Membership, *, role: str) -> Membership:
    require(actor, membership.team_id, Action.ADMIN, "this team")
    role = _clean_role(role)
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=membership.team_id)
        membership = Membership.objects.select_related("user", "team").get(pk=membership.pk)
        require(actor, membership.team, Action.ADMIN, "this team")
        old = membership.role
        if old == role:
            return membership
        if old == Role.ADMIN and not _admins_left(membership.team_id, membership):
            raise Conflict(f"{membership.user} is the last admin of {membership.team}; a team keeps at least one")
        membership.role = role
        membership.save(update_fields=["role"])
        record(
            actor,
            "membership.change",
            membership,
            team=membership.team,
            summary={"user": membership.user.get_username(), "role": [old, role]},
        )
    return membership


def member_remove(actor, membership: Membership) -> None:
    require(actor, membership.team_id, Action.ADMIN, "this team")
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=membership.team_id)
        membership = Membership.objects.select_related("user", "team").filter(pk=membership.pk).first()
        if membership is None:
            raise NotFound("this membership does not exist")
        require(actor, membership.team, Action.ADMIN, "this team")
        if membership.role == Role.ADMIN and not _admins_left(membership.team_id, membership):
            raise Conflict(f"{membership.user} is the last admin of {membership.team}; a team keeps at least one")
        target = ("membership", membership.pk, str(membership))
        summary = {"user": membership.user.get_username(), "role": membership.role}
        team = membership.team
        membership.delete()
        record(actor, "membership.remove", target, team=team, summary=summary)


# --- passwords --------------------------------------------------------------------------------------------


def password_change(actor, user, *, new_password: str) -> None:
    """Set a user's password (the form has checked the old one and the validators). Audited without values."""
    if actor != user:
        require_superuser(actor, "change another user's password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record(actor, "user.password_change", user, summary={"user": user.get_username()})
