"""English and Simplified Chinese: the catalog is complete for the navigation and the switch works."""

import polib
import pytest
from django.conf import settings
from django.test import override_settings

from tests.support.browser import ensure_translations

PO = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def chinese(db):
    ensure_translations()
    with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
        yield


def test_every_message_has_a_chinese_translation():
    catalog = polib.pofile(str(PO))
    missing = [entry.msgid for entry in catalog if not entry.translated() and not entry.obsolete]
    fuzzy = [entry.msgid for entry in catalog if "fuzzy" in entry.flags]
    assert not missing, f"{len(missing)} untranslated messages, e.g. {missing[:10]}"
    assert not fuzzy, f"fuzzy translations: {fuzzy[:10]}"


def test_switching_language_translates_the_pages(client, admin_user, chinese):
    client.force_login(admin_user)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/teams/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/teams/"
    page = client.get("/accounts/teams/").content.decode()
    assert '<html lang="zh-hans">' in page
    for word in ("团队", "审计", "仪表板", "退出"):
        assert word in page, word
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/accounts/teams/").content.decode()
    assert '<html lang="en">' in page
    assert "Teams" in page
    assert "团队" not in page


def test_anonymous_people_can_switch_too(client, chinese):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert "登录" in page
    assert "用户名" in page
    assert "密码" in page
