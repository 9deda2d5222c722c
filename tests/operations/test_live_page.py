"""Browser: an operation page follows a real apply from running to succeeded without being reloaded."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from apps.operations.models import Status
from tests.support.processes import start_web, start_worker
from tests.support.stacks import remove_stack, service_spec, wait_finished

from .helpers import start_apply

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def collected_static():
    """uvicorn serves static files through WhiteNoise from STATIC_ROOT, as `make run` prepares it."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def test_operation_page_moves_from_running_to_succeeded_live(
    swarm, lab_cluster, operator_user, subprocess_env, unique, collected_static, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made meanwhile are plain sync code
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    namespace = f"live{unique}"
    worker = start_worker(subprocess_env, name="live")
    web, base_url = start_web(subprocess_env)
    browser_client = Client()
    browser_client.force_login(operator_user)
    session = browser_client.cookies[settings.SESSION_COOKIE_NAME].value
    try:
        services = [service_spec(n, namespace=namespace, monitor=5) for n in ("front", "back")]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
            )
            context = browser.new_context()
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
            page = context.new_page()
            op = start_apply(operator_user, lab_cluster, namespace, services)
            page.goto(f"{base_url}/operations/{op.pk}/")
            status = page.locator("#op-status")
            assert status.get_attribute("data-status") in ("pending", "running")
            page.evaluate("window.davitNotReloaded = true")

            expect(page.locator('#op-status[data-status="running"]')).to_have_count(1, timeout=30_000)
            expect(page.locator("#op-log")).to_contain_text(f"Creating service {namespace}_front", timeout=30_000)
            expect(page.locator('#op-status[data-status="succeeded"]')).to_have_count(1, timeout=90_000)

            assert page.evaluate("window.davitNotReloaded") is True
            expect(page.locator("#op-progress-text")).to_have_text("100%")
            expect(page.locator("#op-log")).to_contain_text(f"Service {namespace}_back converged")
            expect(page.locator("#op-log .event").last).to_contain_text("Succeeded:")
            expect(page.locator('#op-items tr[data-item="' + f"{namespace}_front" + '"]')).to_have_count(1)
            expect(page.locator("#op-retry")).to_be_visible()  # the finished state brought its buttons
            browser.close()
        assert wait_finished(op, 10).status == Status.SUCCEEDED
    finally:
        web.stop()
        worker.stop()
        remove_stack(swarm, namespace)
