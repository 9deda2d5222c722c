"""Matrix builders of accounts objects (format: tests/support/matrix.py)."""

from django.contrib.auth import get_user_model

from apps.accounts.models import ApiToken, Membership, Role, hash_token


def team(ctx):
    return {"pk": ctx.team.pk, "team_pk": ctx.team.pk, "_marker": ctx.team.name}


def membership(ctx):
    user = get_user_model().objects.create(username=ctx.unique("member"))
    m = Membership.objects.create(team=ctx.team, user=user, role=Role.VIEWER)
    return {"team_pk": ctx.team.pk, "pk": m.pk, "_body": {"role": Role.OPERATOR}}


def token(ctx):
    value = ctx.unique("value")
    t = ApiToken.objects.create(user=ctx.owner, name=ctx.unique("t"), prefix=value[:8], key_hash=hash_token(value))
    return {"pk": t.pk}


def new_member(ctx):
    user = get_user_model().objects.create(username=ctx.unique("new"))
    return {"username": user.username, "role": Role.VIEWER}


BUILDERS = {"team": team, "membership": membership, "token": token, "new-member": new_member}
