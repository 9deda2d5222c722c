"""Who may call each URL of Davit: the vocabulary of `apps/<app>/url_policies.py`.

Every URL pattern of the project (pages, API, admin, i18n, schema) has a declared policy; the permission
matrix test (tests/accounts/test_permission_matrix.py) walks every pattern, fails on one without a policy,
and calls each with anonymous, a viewer, an operator and an admin of team A, an admin of team B and a
superuser, against objects of team A built by the builders of tests/<app>/builders.py.

FORMAT of apps/<app>/url_policies.py
------------------------------------
    from apps.accounts.permissions import Action
    from apps.accounts.url_policy import AUTHENTICATED, DISABLED, LISTING, ONLY_SUPERUSER, OWN, PUBLIC, SUPERUSER, TEAM

    POLICIES = {
        # key: the URL name as reverse() takes it ("namespace:name" for pages, the bare router name for the
        # API, e.g. "cluster-detail"), a glob over names ("admin:*"), or for an unnamed pattern its full
        # route with a leading "/" (globs allowed: "/admin/*"). An exact key wins over a glob; the longest
        # glob wins over a shorter one.
        "clusters:list": LISTING(),                                     # any signed-in user; rows scoped
        "cluster-list": LISTING("GET", "POST", write=Action.ADMIN, body="new-cluster"),
        "cluster-detail": TEAM("cluster", "GET", "PATCH", "DELETE", write=Action.ADMIN),
        "cluster-refresh": TEAM("cluster", "POST", write=Action.OPERATE),
        "service-logs": TEAM("service", read=Action.OPERATE),          # reading needs operator
    }

The positional arguments after the object are the HTTP methods the matrix sends (default: GET). GET/HEAD
use `read`, every other method uses `write`. A method that is not listed is not tested, so list every
method the URL answers.

Policies
--------
PUBLIC(*methods)            anyone, signed in or not (login, language switch, health). Keep this list short:
                            a test pins the allowed PUBLIC names — no set-up or initialisation endpoint.
AUTHENTICATED(*methods)     any signed-in user (dashboard, own profile, token list/create).
SUPERUSER(*methods)         superusers only (the Django admin); members get 403 or the login page.
OWN(obj, *methods)          an object that belongs to the user itself (an API token): its owner may,
                            everyone else (superusers too) gets 404.
TEAM(obj, *methods, read=Action.VIEW, write=None)
                            an object of a team named by the URL's kwargs: a non-member gets 404, a member
                            whose role is below the needed Action gets 403. `read`/`write` may also be
                            ONLY_SUPERUSER.
DISABLED(*methods)          nobody, not even a superuser (e.g. the admin's add page of a model that is only
                            ever written by the app): everyone gets 403 or the login page.
LISTING(*methods, read=None, write=None, obj=None)
                            a collection scoped to the user's teams (list pages and API lists). GET needs
                            `read` in at least one team (None: any signed-in user). A write (create) names
                            its team in the body: a user without the `write` role in any team gets 403
                            BEFORE the body is validated (use apps.accounts.permissions.require_any), and the
                            admin of team B sending team A's id (from `body=`) gets 400/403/404 (use
                            apps.accounts.api.fields.TeamField(action=...) for the body's team). With `obj`,
                            the builder's "_marker" must be in team A's admin's listing and not in team B's.

Shared keywords: `obj` names the builder of the URL's kwargs, `body` names the builder of the request body
(both in tests/<app>/builders.py; see tests/support/matrix.py for the builder format).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from importlib import import_module

from .permissions import Action

ONLY_SUPERUSER = "superuser"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
KNOWN_METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")

Need = Action | str | None


@dataclass(frozen=True)
class Policy:
    access: str  # public | authenticated | superuser | own | team | listing | disabled
    methods: tuple[str, ...] = ("GET",)
    obj: str | None = None
    body: str | None = None
    read: Need = None
    write: Need = None

    def __post_init__(self):
        for method in self.methods:
            if method not in KNOWN_METHODS:
                raise ValueError(f"unknown HTTP method {method!r} in a URL policy")
        unsafe = [m for m in self.methods if m not in SAFE_METHODS]
        if self.access in {"team", "listing"} and unsafe and self.write is None:
            raise ValueError(f"{self.access.upper()} policy lists {', '.join(unsafe)} but gives no write=Action")
        if self.access in {"team", "own"} and not self.obj:
            raise ValueError(f"{self.access.upper()} policy needs the name of the builder of its object")
        for need in (self.read, self.write):
            if need is not None and not isinstance(need, Action) and need != ONLY_SUPERUSER:
                raise ValueError(f"read/write must be an Action or ONLY_SUPERUSER, not {need!r}")

    def need(self, method: str) -> Need:
        return self.read if method in SAFE_METHODS else self.write

    def describe(self) -> str:
        parts = [self.access.upper(), "/".join(self.methods)]
        if self.obj:
            parts.append(f"obj={self.obj}")
        for label, need in (("read", self.read), ("write", self.write)):
            if need is not None:
                parts.append(f"{label}={need.name if isinstance(need, Action) else need}")
        return " ".join(parts)


def _methods(methods: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(m.upper() for m in methods) or ("GET",)


def PUBLIC(*methods: str, obj: str | None = None, body: str | None = None) -> Policy:
    return Policy("public", _methods(methods), obj=obj, body=body)


def AUTHENTICATED(*methods: str, obj: str | None = None, body: str | None = None) -> Policy:
    return Policy("authenticated", _methods(methods), obj=obj, body=body)


def SUPERUSER(*methods: str, obj: str | None = None, body: str | None = None) -> Policy:
    return Policy("superuser", _methods(methods), obj=obj, body=body)


def DISABLED(*methods: str, obj: str | None = None, body: str | None = None) -> Policy:
    return Policy("disabled", _methods(methods), obj=obj, body=body)


def OWN(obj: str, *methods: str, body: str | None = None) -> Policy:
    return Policy("own", _methods(methods), obj=obj, body=body)


def TEAM(obj: str, *methods: str, read: Need = Action.VIEW, write: Need = None, body: str | None = None) -> Policy:
    return Policy("team", _methods(methods), obj=obj, body=body, read=read, write=write)


def LISTING(
    *methods: str, read: Need = None, write: Need = None, obj: str | None = None, body: str | None = None
) -> Policy:
    return Policy("listing", _methods(methods), obj=obj, body=body, read=read, write=write)


def all_policies() -> dict[str, Policy]:
    """POLICIES of every installed Davit app's url_policies module, merged (a key declared twice is an error)."""
    from django.conf import settings

    merged: dict[str, Policy] = {}
    origin: dict[str, str] = {}
    for app in settings.INSTALLED_APPS:
        if not app.startswith("apps."):
            continue
        module_name = f"{app}.url_policies"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for key, policy in getattr(module, "POLICIES", {}).items():
            if not isinstance(policy, Policy):
                raise TypeError(f"{module_name}: the policy of {key!r} is not a Policy")
            if key in merged:
                raise ValueError(f"URL policy {key!r} is declared in both {origin[key]} and {module_name}")
            merged[key] = policy
            origin[key] = module_name
    return merged


def policy_for(key: str, policies: dict[str, Policy]) -> tuple[str, Policy] | None:
    """The policy of a URL key: the exact key, else the longest matching glob."""
    if key in policies:
        return key, policies[key]
    globs = [k for k in policies if any(c in k for c in "*?[") and fnmatch.fnmatchcase(key, k)]
    if not globs:
        return None
    best = max(globs, key=len)
    return best, policies[best]
