"""Filters of the operations list: a team or cluster that is not an id is a clear 400, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["team", "cluster"])
def test_a_filter_that_is_not_an_id_is_a_clear_400(api, client, admin_user, key):
    response = api.get("/api/v1/operations/", {key: "abc"})
    assert response.status_code == 400
    assert key in response.json()["detail"]
    client.force_login(admin_user)
    page = client.get("/operations/", {key: "abc"})
    assert page.status_code == 400
    assert "must be the id" in page.content.decode()
