"""The one place that decides what a user may see and do.

Every owned model names the path to its team in `team_path` (e.g. "team", "project__team").
`restrict(queryset, user, action)` scopes any queryset; `require(user, team, action)` re-checks a write
inside its transaction (a user who may not even view the object gets NotFound: no existence leak).
"""

from __future__ import annotations

from enum import IntEnum

from django.db.models import QuerySet

from apps.core.errors import Forbidden, NotFound

from .models import Membership, Role, Team


class Action(IntEnum):
    VIEW = 1
    OPERATE = 2
    ADMIN = 3


ROLE_LEVEL = {Role.VIEWER: Action.VIEW, Role.OPERATOR: Action.OPERATE, Role.ADMIN: Action.ADMIN}
ACTION_WORDS = {Action.VIEW: "view", Action.OPERATE: "operate", Action.ADMIN: "administer"}


def roles_allowing(action: Action) -> list[str]:
    return [role for role, level in ROLE_LEVEL.items() if level >= action]


def is_superuser(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def team_ids(user, action: Action = Action.VIEW):
    """Ids of the teams in which `user` may do `action`; None means every team (superuser)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    return set(Membership.objects.filter(user=user, role__in=roles_allowing(action)).values_list("team_id", flat=True))


def restrict(queryset: QuerySet, user, action: Action = Action.VIEW) -> QuerySet:
    path = getattr(queryset.model, "team_path", None)
    if path is None:
        raise TypeError(f"{queryset.model.__name__} has no team_path; it cannot be scoped")
    ids = team_ids(user, action)
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    field = "pk" if path == "pk" else f"{path}_id" if "__" not in path else f"{path}__id"
    return queryset.filter(**{f"{field}__in": ids})


def teams_for(user, action: Action = Action.VIEW) -> QuerySet:
    return restrict(Team.objects.all(), user, action)


def can(user, team: Team | int | None, action: Action) -> bool:
    if user is None:  # the system itself (beat, workers)
        return True
    ids = team_ids(user, action)
    if ids is None:
        return True
    team_id = team.pk if isinstance(team, Team) else team
    return team_id in ids


def require(user, team: Team | int | None, action: Action, what: str = "this object") -> None:
    """Raise NotFound when the user may not even view, Forbidden when the role is too low. None = system."""
    if user is None:
        return
    if not can(user, team, Action.VIEW):
        raise NotFound(f"{what} does not exist or you are not a member of its team")
    if not can(user, team, action):
        raise Forbidden(f"your role in this team does not allow you to {ACTION_WORDS[action]} {what}")


def require_superuser(user, what: str = "do this") -> None:
    """Only superusers (and the system, user None) pass; others get Forbidden."""
    if user is None or is_superuser(user):
        return
    raise Forbidden(f"only a superuser may {what}")


def require_any(user, action: Action, what: str = "do this") -> None:
    """For a create whose team is named in the request body: refuse (403) BEFORE validating the body when the
    user does not hold a role allowing `action` in any team. The team itself is then checked with require()."""
    if user is None:
        return
    ids = team_ids(user, action)
    if ids is None or ids:
        return
    raise Forbidden(f"you need a role that may {ACTION_WORDS[action]} in at least one team to {what}")


def role_of(user, team: Team | int) -> str | None:
    """The user's role in the team (None when not a member); superusers get their membership role, if any."""
    if user is None or not user.is_authenticated:
        return None
    team_id = team.pk if isinstance(team, Team) else team
    return Membership.objects.filter(user=user, team_id=team_id).values_list("role", flat=True).first()
