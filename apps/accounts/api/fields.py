"""A team named in a request body, checked against the caller's role (for every app's serializers).

    team = TeamField(action=Action.ADMIN)

A team the caller cannot see reads as "no such team" (400, naming the field); a team where the caller's role
is too low is refused (403). Either way nothing is written."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Team
from ..permissions import Action, require, teams_for


class TeamField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": "There is no team with id {pk_value} of which you are a member.",
        "incorrect_type": "A team is given by its id (a number), not {data_type}.",
    }

    def __init__(self, action: Action = Action.VIEW, **kwargs):
        self.action = action
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Team.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return teams_for(user, Action.VIEW)

    def to_internal_value(self, data):
        team = super().to_internal_value(data)
        request = self.context.get("request")
        require(getattr(request, "user", None), team, self.action, f"team {team.name}")
        return team
