"""The permission matrix: every URL pattern of the project, called as every role, against its declared policy.

Policies live in apps/<app>/url_policies.py (vocabulary: apps/accounts/url_policy.py). This module finds every
URL pattern (walking get_resolver() through every include: pages, /api/v1/, the admin, i18n, schema, docs),
builds the objects its kwargs point at, and checks each role's answer. The test is
tests/accounts/test_permission_matrix.py; run one URL with `-k 'matrix and cluster-detail'`.

BUILDERS — tests/<app>/builders.py
----------------------------------
    from apps.clusters.models import Cluster

    def cluster(ctx):
        c = Cluster.objects.create(name=ctx.unique("c"), team=ctx.team, endpoint_url=ctx.lab["DOCKER_HOST"])
        return {"pk": c.pk, "cluster_pk": c.pk, "_marker": c.name}

    def new_cluster(ctx):                      # a request body (policy body="new-cluster")
        return {"team": ctx.team.pk, "name": ctx.unique("c"), "endpoint_url": ctx.lab["DOCKER_HOST"]}

    BUILDERS = {"cluster": cluster, "new-cluster": new_cluster}

A builder takes the MatrixContext and returns a dict:
  - URL kwargs: the matrix passes those the URL pattern needs (so one builder serves /clusters/<pk>/ and
    /clusters/<cluster_pk>/networks/ alike); every object it makes belongs to ctx.team (team A);
  - "_query": query-string parameters added to every request of the URL;
  - "_marker": text that must appear in team A's admin's answer to a LISTING and not in team B's;
  - "_body": the body of write requests when the policy names no body builder.
A body builder (policy `body=`) returns the JSON (API) or form (pages) body itself; it is called afresh for
each write request. Builders are called again (ctx.build(name, fresh=True)) before each write of an allowed
role, so a DELETE or a state change never spoils the next role's request: create objects with ctx.unique()
names. Use ctx.build("cluster") inside a builder to reuse another builder's (memoized) object, ctx.lab for
the lab's variables (DOCKER_HOST ...), ctx.cleanup(fn) to remove Docker objects afterwards. Never delete
or change shared lab objects; a POST that queues an Operation is fine (no worker runs, nothing is committed).

What the matrix asserts, for each method of the policy:
  anonymous           401/403 or a redirect to a login page (unless PUBLIC)
  admin of team B     404 for TEAM objects (no existence leak); 400/403/404 for a LISTING create naming A
  viewer/operator     403 when the role is below the policy's Action
  allowed roles       anything but 401/403/404/405/429 and 5xx (503 whose body says "unreachable",
                      "unavailable" or "failing" is fine),
                      and never a redirect to the login page; a 400 for an empty body is fine
  refused requests    write nothing (the audit log does not grow)
"""

from __future__ import annotations

import importlib
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from apps.accounts.models import Membership, Role, Team
from apps.accounts.permissions import Action
from apps.accounts.url_policy import ONLY_SUPERUSER, SAFE_METHODS, Policy, all_policies, policy_for
from apps.audit.models import AuditEntry

TESTS = Path(__file__).resolve().parents[1]
ROLES = ("anonymous", "viewer", "operator", "admin", "outsider", "superuser")
TEAM_A_LEVEL = {"viewer": Action.VIEW, "operator": Action.OPERATE, "admin": Action.ADMIN}
OWNER = "admin"  # OWN objects belong to team A's admin

ALLOW, LOGIN, FORBID, HIDE, REFUSE = "allowed", "sent to log in", "forbidden (403)", "hidden (404)", "refused"


# --- the URL patterns ---------------------------------------------------------------------------------------


@dataclass
class UrlEntry:
    key: str  # the policy key: "ns:name", "name", or "/route" for an unnamed pattern
    name: str | None
    route: str
    kwargs: tuple[str, ...]
    callback: object = field(repr=False, default=None)

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")


def _walk(patterns, namespaces, route, kwargs):
    for pattern in patterns:
        here = route + str(pattern.pattern)
        names = kwargs | set(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            spaces = [*namespaces, pattern.namespace] if pattern.namespace else namespaces
            yield from _walk(pattern.url_patterns, spaces, here, names)
        elif isinstance(pattern, URLPattern):
            name = ":".join([*namespaces, pattern.name]) if pattern.name else None
            yield UrlEntry(name or "/" + here, name, here, tuple(sorted(names)), pattern.callback)


def url_entries() -> list[UrlEntry]:
    return list(_walk(get_resolver().url_patterns, [], "", set()))


def entry_ids(entries: list[UrlEntry]) -> list[str]:
    seen: dict[str, int] = {}
    ids = []
    for entry in entries:
        seen[entry.key] = seen.get(entry.key, 0) + 1
        ids.append(entry.key if seen[entry.key] == 1 else f"{entry.key}#{seen[entry.key]}")
    return ids


_GROUP = re.compile(r"\(\?P<(\w+)>")
_CONVERTER = re.compile(r"(?<!\?P)<(?:\w+:)?(\w+)>")
DEFAULT_VALUES = {"format": "json"}  # DRF's format-suffix variants (DefaultRouter) are called as .json


def _fill_regex(route: str, values: dict) -> str:
    out, i = [], 0
    while i < len(route):
        match = _GROUP.match(route, i)
        if match:
            depth, j = 1, match.end()
            while depth and j < len(route):
                depth += {"(": 1, ")": -1}.get(route[j], 0) if route[j - 1] != "\\" else 0
                j += 1
            out.append(str(values[match.group(1)]))
            i = j
            continue
        out.append(route[i])
        i += 1
    path = "".join(out).replace("^", "").replace("$", "").replace("\\", "")
    return path.replace("/?", "/")


def url_of(entry: UrlEntry, values: dict) -> str:
    values = {**DEFAULT_VALUES, **values}
    kwargs = {k: values[k] for k in entry.kwargs}
    if entry.name:
        return reverse(entry.name, kwargs=kwargs)
    path = "/" + _fill_regex(_CONVERTER.sub(lambda m: str(kwargs[m.group(1)]), entry.route), kwargs)
    match = resolve(path)
    if match.func is not entry.callback and getattr(match.func, "__wrapped__", None) is not entry.callback:
        raise AssertionError(f"{path} (built for {entry.route}) resolves to another view: {match.view_name}")
    return path


# --- builders and the world ---------------------------------------------------------------------------------


def load_builders() -> dict:
    """BUILDERS of every tests/<app>/builders.py, merged (a name defined twice is an error)."""
    merged, origin = {}, {}
    for path in sorted(TESTS.glob("*/builders.py")):
        module_name = f"tests.{path.parent.name}.builders"
        module = importlib.import_module(module_name)
        for name, function in getattr(module, "BUILDERS", {}).items():
            if name in merged:
                raise ValueError(f"builder {name!r} is defined in both {origin[name]} and {module_name}")
            merged[name], origin[name] = function, module_name
    return merged


class MatrixContext:
    """What builders see: team A (ctx.team) with its viewer, operator and admin, team B with its admin, a
    superuser, the lab's variables, memoized builds and clean-ups."""

    def __init__(self, builders: dict):
        self.builders = builders
        self.team = Team.objects.create(name=self.unique("team-a"))
        self.other_team = Team.objects.create(name=self.unique("team-b"))
        self.users = {}
        for role in ("viewer", "operator", "admin"):
            self.users[role] = self._user(role, self.team, role)
        self.users["outsider"] = self._user("outsider", self.other_team, Role.ADMIN)
        self.users["superuser"] = get_user_model().objects.create(
            username=self.unique("root"), is_superuser=True, is_staff=True
        )
        self.owner = self.users[OWNER]
        self._built: dict[str, dict] = {}
        self._cleanups: list = []
        self._lab: dict | None = None

    @staticmethod
    def unique(prefix: str = "m") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    def _user(self, label, team, role):
        user = get_user_model().objects.create(username=self.unique(label))
        Membership.objects.create(team=team, user=user, role=role)
        return user

    @property
    def lab(self) -> dict:
        if self._lab is None:
            from tests.conftest import lab_env

            self._lab = lab_env()
        return self._lab

    def build(self, name: str, fresh: bool = False) -> dict:
        if name not in self.builders:
            raise AssertionError(f"no builder named {name!r}: add it to BUILDERS in tests/<app>/builders.py")
        if fresh or name not in self._built:
            result = self.builders[name](self)
            if not isinstance(result, dict):
                raise AssertionError(f"builder {name!r} returned {type(result).__name__}, not a dict")
            self._built[name] = result
        return self._built[name]

    def cleanup(self, function) -> None:
        self._cleanups.append(function)

    def close(self) -> None:
        errors = []
        for function in reversed(self._cleanups):
            try:
                function()
            except Exception as exc:
                errors.append(repr(exc))
        self._cleanups.clear()
        if errors:
            raise AssertionError(f"matrix clean-ups failed: {errors}")


# --- expectations -------------------------------------------------------------------------------------------


def expectation(policy: Policy, method: str, role: str) -> str:
    access = policy.access
    if role == "anonymous":
        return ALLOW if access == "public" else LOGIN
    if access in {"public", "authenticated"}:
        return ALLOW
    if access == "disabled":
        return FORBID
    if access == "superuser":
        return ALLOW if role == "superuser" else FORBID
    if access == "own":
        return ALLOW if role == OWNER else HIDE
    need = policy.need(method)
    if access == "team":
        if role == "superuser":
            return ALLOW
        if role == "outsider":
            return HIDE
        if need == ONLY_SUPERUSER:
            return FORBID
        return ALLOW if TEAM_A_LEVEL[role] >= need else FORBID
    if access == "listing":
        if role == "superuser":
            return ALLOW
        if need == ONLY_SUPERUSER:
            return FORBID
        level = Action.ADMIN if role == "outsider" else TEAM_A_LEVEL[role]
        if need is not None and level < need:
            return FORBID
        if method not in SAFE_METHODS and role == "outsider" and policy.body:
            return REFUSE
        return ALLOW
    raise AssertionError(f"unknown policy kind {access!r}")


def _login_paths() -> set[str]:
    return {resolve_url(settings.LOGIN_URL), reverse("admin:login")}


def is_login_redirect(response) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    location = urlparse(response["Location"])
    return location.path in _login_paths() and "next" in parse_qs(location.query)


def judge(expected: str, response, policy: Policy) -> str | None:
    """None when the response meets the expectation, else what was wrong."""
    status = response.status_code
    body = response.content[:300].decode(errors="replace") if status != 302 else response.get("Location", "")
    if expected == LOGIN:
        ok = status in (401, 403) or is_login_redirect(response)
    elif expected == FORBID:
        ok = status == 403 or (policy.access in {"superuser", "disabled"} and is_login_redirect(response))
    elif expected == HIDE:
        ok = status == 404
    elif expected == REFUSE:
        ok = status in (400, 403, 404)
    else:
        # a deliberate "unavailable" (the lab's cluster down, /healthz naming a failing part) is an answer, not a crash
        unreachable = status == 503 and any(w in response.content for w in (b"unreachable", b"unavailable", b"failing"))
        ok = (
            status not in (401, 403, 404, 405, 429)
            and (status < 500 or unreachable)
            and not is_login_redirect(response)
        )
    return None if ok else f"expected {expected}, got {status}: {body!r}"


# --- running one URL ----------------------------------------------------------------------------------------


def _clients(ctx: MatrixContext) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for role, user in ctx.users.items():
        client = Client()
        client.force_login(user)
        clients[role] = client
    return clients


def _request(client: Client, entry: UrlEntry, method: str, path: str, query: dict, body: dict | None):
    url = f"{path}?{urlencode(query, doseq=True)}" if query else path
    if entry.is_api:
        data = json.dumps(body or {}) if method not in SAFE_METHODS else None
        extra = {"HTTP_ACCEPT": "application/json"}
        if data is None:
            return client.generic(method, url, **extra)
        return client.generic(method, url, data=data, content_type="application/json", **extra)
    if method == "GET":
        return client.get(url)
    if method == "POST":
        return client.post(url, data=body or {})
    return client.generic(method, url, data=urlencode(body or {}), content_type="application/x-www-form-urlencoded")


def check_url(entry: UrlEntry, policy: Policy, ctx: MatrixContext) -> list[str]:
    """Every failure of one URL, as sentences (empty: the URL keeps its policy)."""
    failures: list[str] = []
    base = ctx.build(policy.obj) if policy.obj else {}
    missing = [k for k in entry.kwargs if k not in base and k not in DEFAULT_VALUES]
    if missing:
        return [f"{entry.key}: the policy's builder {policy.obj!r} gives no value for {missing} (route {entry.route})"]
    clients = _clients(ctx)
    roles = ("anonymous", OWNER) if policy.access == "public" else ROLES
    plan = [(method, role, expectation(policy, method, role)) for method in policy.methods for role in roles]
    # refusals first (they must not change anything), then the allowed requests, DELETE last
    plan.sort(key=lambda item: (item[2] == ALLOW, item[0] == "DELETE"))
    for method, role, expected in plan:
        values = base
        if expected == ALLOW and method not in SAFE_METHODS and policy.obj:
            values = ctx.build(policy.obj, fresh=True)
        path = url_of(entry, values)
        body = None
        if method not in SAFE_METHODS:
            body = ctx.build(policy.body, fresh=True) if policy.body else values.get("_body", {})
        before = AuditEntry.objects.count()
        response = _request(clients[role], entry, method, path, values.get("_query", {}), body)
        problem = judge(expected, response, policy)
        if problem:
            failures.append(f"{method} {path} as {role}: {problem}")
        if expected != ALLOW and AuditEntry.objects.count() != before:
            failures.append(f"{method} {path} as {role} was refused but wrote an audit entry (something changed)")
        marker = values.get("_marker")
        if (
            policy.access == "listing"
            and marker
            and method == "GET"
            and expected == ALLOW
            and response.status_code == 200
        ):
            seen = str(marker) in response.content.decode(errors="replace")
            if role in {"admin", "superuser"} and not seen:
                failures.append(f"GET {path} as {role}: team A's object {marker!r} is missing from the listing")
            if role == "outsider" and seen:
                failures.append(f"GET {path} as team B's admin shows team A's object {marker!r}")
    return failures


def policy_problems(entries: list[UrlEntry], policies: dict[str, Policy], builders: dict) -> list[str]:
    """Policies for URLs that do not exist, and builders that are not defined."""
    problems = []
    keys = {entry.key for entry in entries}
    for key, policy in policies.items():
        is_glob = any(c in key for c in "*?[")
        if not is_glob and key not in keys:
            problems.append(f"policy {key!r} names no URL of the project (renamed or removed?)")
        if is_glob and not any(policy_for(k, {key: policy}) for k in keys):
            problems.append(f"glob policy {key!r} matches no URL")
        for name in (policy.obj, policy.body):
            if name and name not in builders:
                problems.append(f"policy {key!r} names builder {name!r}, which no tests/<app>/builders.py defines")
    return problems


__all__ = [
    "ROLES",
    "MatrixContext",
    "UrlEntry",
    "all_policies",
    "check_url",
    "entry_ids",
    "expectation",
    "load_builders",
    "policy_for",
    "policy_problems",
    "url_entries",
]
