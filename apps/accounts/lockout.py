"""django-axes lockout answer (AXES_LOCKOUT_CALLABLE): 429 with a sentence, JSON for the API, a page otherwise."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _minutes() -> int:
    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    try:
        return max(1, round(float(cooloff) * 60))
    except (TypeError, ValueError):
        return 15


def lockout_response(request, original_response=None, credentials=None):
    message = _(
        "Too many failed sign-in attempts for this account from your address: try again in %(minutes)d minutes."
    ) % {"minutes": _minutes()}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)
