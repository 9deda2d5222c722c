"""Reads of accounts, always scoped to the user asking."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from apps.core.errors import NotFound

from .models import ApiToken, Membership, Team
from .permissions import Action, require, restrict, teams_for


def teams_visible(user) -> QuerySet[Team]:
    return teams_for(user, Action.VIEW).annotate(member_count=Count("memberships"))


def team_get(user, pk, action: Action = Action.VIEW) -> Team:
    """The team with this id if the user may see it (NotFound otherwise), then require(action)."""
    team = teams_visible(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if team is None:
        raise NotFound("this team does not exist or you are not a member of it")
    require(user, team, action, "this team")
    return team


def memberships_of_team(user, team: Team) -> QuerySet[Membership]:
    require(user, team, Action.VIEW, "this team")
    return Membership.objects.filter(team=team).select_related("user").order_by("user__username")


def membership_get(user, team_pk, pk, action: Action = Action.VIEW) -> Membership:
    membership = None
    if str(pk).isdigit() and str(team_pk).isdigit():
        membership = (
            restrict(Membership.objects.select_related("user", "team"), user, Action.VIEW)
            .filter(pk=pk, team_id=team_pk)
            .first()
        )
    if membership is None:
        raise NotFound("this membership does not exist or you are not a member of its team")
    require(user, membership.team, action, "this team")
    return membership


def memberships_of_user(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("team").order_by("team__name")


def tokens_of(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created")


def token_get(user, pk) -> ApiToken:
    token = tokens_of(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if token is None:
        raise NotFound("this token does not exist or is not yours")
    return token
