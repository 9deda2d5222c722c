"""What page views of every app share: the sentence of an error, and error pages instead of tracebacks."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.swarm.errors import SwarmError

from .errors import DavitError


def error_message(exc: Exception) -> str:
    """The sentence a person reads for a Davit or swarm error."""
    return getattr(exc, "message", None) or str(exc)


def error_pages(template: str = "core/error.html"):
    """A decorator for login-only pages: a Davit or swarm error renders `template` with its sentence, its code and
    its status (404, 403, 409, 503...)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except (DavitError, SwarmError) as exc:
                status = getattr(exc, "status", 400)
                context = {"message": error_message(exc), "code": getattr(exc, "code", ""), "status": status}
                return render(request, template, context, status=status)

        return login_required(wrapper)

    return decorate
