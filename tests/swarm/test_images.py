"""Pure helpers of apps.swarm.images: image references, registries, credentials, pull stream errors."""

import pytest

from apps.swarm.images import auth_for, registry_of, split_reference, stream_error, with_tag


@pytest.mark.parametrize(
    ("image", "registry"),
    [
        ("nginx", "docker.io"),
        ("library/nginx:1.25", "docker.io"),
        ("team/app:2", "docker.io"),
        ("10.210.0.1:5001/team/app:2", "10.210.0.1:5001"),
        ("registry.example.org/app@sha256:abc", "registry.example.org"),
        ("localhost/app", "localhost"),
    ],
)
def test_registry_of(image, registry):
    assert registry_of(image) == registry


def test_split_reference_and_with_tag():
    assert split_reference("10.210.0.1:5001/team/app:2") == ("10.210.0.1:5001/team/app", "2", None)
    assert split_reference("10.210.0.1:5001/team/app") == ("10.210.0.1:5001/team/app", None, None)
    assert split_reference("app:1@sha256:ab") == ("app", "1", "sha256:ab")
    assert with_tag("nginx") == "nginx:latest"
    assert with_tag("host:5000/app") == "host:5000/app:latest"
    assert with_tag("app@sha256:ab") == "app@sha256:ab"


def test_auth_for_picks_the_image_registry_only():
    auths = {
        "10.210.0.1:5001": {"username": "u", "password": "p"},
        "https://index.docker.io/v1/": {"username": "hub", "password": "h"},
    }
    assert auth_for("10.210.0.1:5001/app:1", auths) == {
        "username": "u",
        "password": "p",
        "serveraddress": "10.210.0.1:5001",
    }
    assert auth_for("nginx", auths)["username"] == "hub"
    assert auth_for("other.example.org/app", auths) is None
    assert auth_for("nginx", None) is None


def test_stream_error_reads_the_registry_message():
    assert stream_error({"status": "Downloading", "id": "abc"}) is None
    assert stream_error({"errorDetail": {"message": "manifest unknown"}, "error": "x"}) == "manifest unknown"
    assert stream_error({"error": "unauthorized: authentication required"}) == "unauthorized: authentication required"
