"""Image references as the Docker client normalises them (distribution/reference).

`normalize_image("redis")` gives "redis:latest", as the client library does to ContainerSpec.Image before
POST /services/create; `check_image` gives the CLI's error for an image it would refuse.
"""

from __future__ import annotations

import re

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = r"(?:" + _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*|" + _IPV6 + r")(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    r"^(?P<name>(?:" + _DOMAIN + r"/)?" + _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*)"
    r"(?::(?P<tag>" + _TAG + r"))?(?:@(?P<digest>" + _DIGEST + r"))?$"
)
_HEX64 = re.compile(r"^[a-f0-9]{64}$")


class ReferenceError_(ValueError):
    pass


def _split_domain(name: str) -> tuple[str, str]:
    index = name.find("/")
    first = name[:index] if index >= 0 else ""
    if index == -1 or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        domain, remainder = "docker.io", name
    else:
        domain, remainder = first, name[index + 1 :]
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    return domain, remainder


def parse(image: str) -> tuple[str, str, str | None, str | None]:
    """(domain, path, tag, digest) of a normalised reference, or ReferenceError_ with the CLI's wording."""
    if not image:
        raise ReferenceError_("no image specified")
    if _HEX64.match(image):
        raise ReferenceError_(f"invalid repository name ({image}), cannot specify 64-byte hexadecimal strings")
    # the name part ends before a tag or digest; split the domain off the whole string as the client does
    domain, remainder = _split_domain(image)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise ReferenceError_(f"invalid reference format: repository name ({remote}) must be lowercase")
    match = _REFERENCE.match(f"{domain}/{remainder}")
    if not match or len(match.group("name")) > 255:
        raise ReferenceError_("invalid reference format")
    name = match.group("name")
    return domain, name[len(domain) + 1 :], match.group("tag"), match.group("digest")


def check_image(image: str) -> None:
    parse(image)


def familiar(domain: str, path: str) -> str:
    if domain == "docker.io":
        if path.startswith("library/") and "/" not in path[len("library/") :]:
            return path[len("library/") :]
        return path
    return f"{domain}/{path}"


def normalize_image(image: str) -> str:
    """The image string the client sends: familiar name, with ":latest" when there is no tag or digest.
    An image the parser refuses is returned unchanged (the client does the same)."""
    try:
        domain, path, tag, digest = parse(image)
    except ReferenceError_:
        return image
    out = familiar(domain, path)
    if tag is None and digest is None:
        tag = "latest"
    if tag is not None:
        out += f":{tag}"
    if digest is not None:
        out += f"@{digest}"
    return out
