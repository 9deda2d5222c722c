"""Matrix builders of the root URLs: the Django admin's kwargs (format: tests/support/matrix.py)."""

from django.contrib.contenttypes.models import ContentType

from apps.accounts.models import Team


def admin(ctx):
    return {
        "object_id": str(ctx.team.pk),
        "id": str(ctx.owner.pk),
        "app_label": "accounts",
        "content_type_id": str(ContentType.objects.get_for_model(Team).pk),
        "url": "accounts/team",  # the catch-all answers with a redirect to the changelist
    }


def admin_autocomplete(ctx):
    return {"_query": {"app_label": "accounts", "model_name": "membership", "field_name": "team", "term": ""}}


BUILDERS = {"admin": admin, "admin-autocomplete": admin_autocomplete}
