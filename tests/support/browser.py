"""Playwright helpers for browser tests: Debian's Chromium, headless, no sandbox; sign-in; translations.

    from tests.support.browser import browser_page, login

    @pytest.mark.e2e
    def test_something(live_server, django_user_model):        # or start_web(subprocess_env) for SSE
        user = ...                                              # make DB rows BEFORE opening the browser
        with browser_page() as page:
            login(page, live_server.url, user.username, PASSWORD)
            page.goto(live_server.url + "/operations/")

Playwright's sync API runs an event loop in the test's thread, so Django refuses ORM calls there while the
browser is open unless DJANGO_ALLOW_ASYNC_UNSAFE is set: browser_page() sets it for its duration.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def browser_page(*, locale: str = "en-US", timeout_ms: int = 15000):
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            try:
                context = browser.new_context(locale=locale)
                context.set_default_timeout(timeout_ms)
                page = context.new_page()
                yield page
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def login(page, base_url: str, username: str, password: str) -> None:
    """Sign in through the login form and wait for the dashboard."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")
    if "/accounts/login/" in page.url:
        raise AssertionError(f"sign-in as {username} failed: {page.inner_text('main')[:300]}")


def ensure_translations() -> list[Path]:
    """Compile locale/*/LC_MESSAGES/django.po into .mo when missing or stale (`manage.py compilemessages` does
    this in deploy/dev/setup; a plain pytest run may come first). Returns the .mo files."""
    compiled = []
    for base in settings.LOCALE_PATHS:
        for po in Path(base).glob("*/LC_MESSAGES/django.po"):
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
            compiled.append(mo)
    return compiled
