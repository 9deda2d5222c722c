"""A person signs in, switches the language to Chinese and reads the navigation in Chinese (Playwright, Chromium)."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from apps.accounts.models import Role
from apps.core.context import AREAS
from tests.conftest import member
from tests.support.browser import browser_page, ensure_translations, login

PASSWORD = "correct horse battery 9"  # tests.conftest.make_user's


@pytest.fixture
def chinese_catalog():
    assert ensure_translations(), "no locale/*/LC_MESSAGES/django.po to compile"
    with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):  # drops catalogs cached before compiling
        yield


def _expected_labels(language: str) -> list[str]:
    labels = []
    with translation.override(language):
        for _key, label, name in AREAS:
            try:
                reverse(name)
            except NoReverseMatch:
                continue
            labels.append(str(label))
    return labels


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_login_then_switch_to_chinese_translates_the_navigation(live_server, team, chinese_catalog):
    user = member(team, Role.ADMIN)
    english, chinese = _expected_labels("en"), _expected_labels("zh-hans")
    assert {"团队", "审计", "仪表板"} <= set(chinese), chinese
    from playwright.sync_api import expect

    with browser_page() as page:
        login(page, live_server.url, user.username, PASSWORD)
        nav = page.locator("nav.areas a")
        assert nav.all_inner_texts() == english
        assert page.locator("html").get_attribute("lang") == "en"

        with page.expect_navigation():
            page.select_option("select[name=language]", "zh-hans")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert nav.all_inner_texts() == chinese
        assert page.locator("select[name=language] option:checked").inner_text() == "简体中文"
        assert page.get_by_role("button", name="退出").is_visible()

        # the choice sticks: another page of the portal is in Chinese too
        page.click("nav.areas a[data-area=teams]")
        # retried until the teams page has replaced the one being left
        expect(page.locator("h1")).to_have_text("团队", timeout=15_000)
        expect(page.locator("nav.areas a.active")).to_have_text("团队", timeout=15_000)
