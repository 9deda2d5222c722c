"""Images: references, registry of an image, pulls with per-layer progress, distribution (digest) queries.

Docker reports pull errors INSIDE the stream (HTTP 200 with {"error", "errorDetail"}); `image_pull` turns such an
event into a RegistryError carrying the registry's own message, so a bad tag or a refused login ends as a sentence.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import errors

DOCKER_HUB = "docker.io"
DOCKER_HUB_ALIASES = ("docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/")


def registry_of(image: str) -> str:
    """The registry host of an image reference (`docker.io` for Docker Hub names)."""
    first, sep, _rest = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB


def split_reference(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference; tag and digest may be None."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest or None


def with_tag(image: str) -> str:
    """`name` -> `name:latest` (a digest reference is left as it is)."""
    repository, tag, digest = split_reference(image)
    if digest:
        return f"{repository}{':' + tag if tag else ''}@{digest}"
    return f"{repository}:{tag or 'latest'}"


def auth_for(image: str, auths: dict | None) -> dict | None:
    """The credentials of `auths` ({registry host: {username, password, serveraddress}}) for this image."""
    if not auths:
        return None
    registry = registry_of(image)
    candidates = (
        DOCKER_HUB_ALIASES if registry == DOCKER_HUB else (registry, f"https://{registry}", f"http://{registry}")
    )
    for key in candidates:
        if auths.get(key):
            auth = dict(auths[key])
            auth.setdefault("serveraddress", registry)
            return auth
    return None


def stream_error(event: dict) -> str | None:
    """The registry's message when a pull/push stream event reports an error."""
    if not isinstance(event, dict):
        return None
    if event.get("error") or event.get("errorDetail"):
        detail = event.get("errorDetail") or {}
        return str(detail.get("message") or event.get("error") or "unknown error").strip()
    return None


class ImagesMixin:
    def image_pull(self, image: str, *, auth: dict | None = None) -> Iterator[dict]:
        """Pull on THIS engine, yielding Docker's progress events ({status, id, progressDetail{current,total}}).

        Raises RegistryError with the registry's message when the stream reports an error.
        """
        repository, tag, digest = split_reference(image)
        reference = digest or tag or "latest"
        what = f"Pulling {image}"
        with self.translate(what):
            stream = self.api.pull(repository, tag=reference, stream=True, decode=True, auth_config=auth or {})
        iterator = iter(stream)
        while True:
            with self.translate(what):
                try:
                    event = next(iterator)
                except StopIteration:
                    return
            message = stream_error(event)
            if message:
                raise errors.RegistryError(f"{what}: {message}")
            yield event

    def image_inspect(self, image: str) -> dict:
        with self.translate(f"Reading image {image}"):
            return self._get(f"/images/{image}/json")

    def image_remove(self, image: str, *, force: bool = False) -> None:
        with self.translate(f"Removing image {image}"):
            self.api.remove_image(image, force=force)

    def distribution_inspect(self, image: str, *, auth: dict | None = None) -> dict:
        """The registry's descriptor (digest) and platforms of an image, asked through the engine."""
        with self.translate(f"Asking the registry about {image}"):
            return self.api.inspect_distribution(image, auth_config=auth or {})
