"""Protection: CSRF on forms and on session-authenticated API writes, secure cookies on request, anonymous
refused on every /api/v1/ endpoint."""

import json
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import NoReverseMatch
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from tests.support import matrix

PASSWORD = "correct horse battery 9"


def test_login_form_without_csrf_token_is_refused(viewer_user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": viewer_user.username, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_page_form_without_csrf_token_is_refused(viewer_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer_user)
    response = client.post("/accounts/tokens/", {"name": "x"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_session_api_write_without_csrf_token_is_refused(viewer_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(viewer_user)
    response = client.post("/api/v1/tokens/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def _any_path(entry):
    """The entry's URL with placeholder ids (anonymous is refused before any lookup)."""
    for sample in ("1", "abc", "0" * 12, "0" * 25, "0" * 64):
        try:
            return matrix.url_of(entry, {name: sample for name in entry.kwargs} | {"format": "json"})
        except NoReverseMatch:
            continue
    raise AssertionError(f"no placeholder fits the route {entry.route}")


def test_anonymous_is_refused_on_every_api_endpoint(db):
    """Quick and independent of builders: any id will do, anonymous never gets past authentication."""
    client = APIClient()
    checked = 0
    for entry in matrix.url_entries():
        if not entry.route.startswith("api/v1/") or entry.key == "auth-token":
            continue
        path = _any_path(entry)
        for method in ("get", "post", "patch", "delete"):
            response = getattr(client, method)(path, {}, format="json")
            assert response.status_code in (401, 403), f"{method.upper()} {path}: {response.status_code}"
            checked += 1
    assert checked >= 20


SNIPPET = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch
client = Client(HTTP_HOST="127.0.0.1")
login = client.get("/accounts/login/")
csrf = login.cookies["csrftoken"]
posted = client.post("/accounts/login/", {"username": USERNAME, "password": PASSWORD})
session = posted.cookies.get("sessionid")
print(json.dumps({
    "settings": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "csrf_secure": bool(csrf["secure"]),
    "session_secure": bool(session and session["secure"]),
    "status": posted.status_code,
}))
"""


@pytest.mark.parametrize("flag", ["1", None])
def test_cookies_are_secure_when_davit_secure_cookies_is_set(subprocess_env, viewer_user, flag):
    env = dict(subprocess_env)
    env.pop("DAVIT_SECURE_COOKIES", None)
    if flag:
        env["DAVIT_SECURE_COOKIES"] = flag
    code = SNIPPET.replace("USERNAME", repr(viewer_user.username)).replace("PASSWORD", repr(PASSWORD))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    secure = bool(flag)
    assert report == {
        "settings": [secure, secure],
        "csrf_secure": secure,
        "session_secure": secure,
        "status": 302,
    }, report
