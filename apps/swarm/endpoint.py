"""A cluster endpoint: a manager's unix socket, tcp, or tcp with TLS (CA, certificate, key)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from urllib.parse import urlparse

SCHEMES = ("unix", "tcp", "https")


class EndpointError(ValueError):
    pass


@dataclass(frozen=True)
class Endpoint:
    url: str
    ca_pem: str = ""
    cert_pem: str = ""
    key_pem: str = ""
    timeout: float = 20.0

    @property
    def tls(self) -> bool:
        return bool(self.cert_pem or self.ca_pem) or self.url.startswith("https://")

    def __repr__(self) -> str:  # never print TLS material
        return f"Endpoint({self.url!r}, tls={self.tls})"

    def check(self) -> None:
        validate_url(self.url)
        if self.tls and self.url.startswith("unix://"):
            raise EndpointError("TLS material is only used with a tcp:// endpoint, not a unix socket")
        if bool(self.cert_pem) != bool(self.key_pem):
            raise EndpointError("a TLS client certificate needs its key, and a key needs its certificate")
        for name, pem in (("CA certificate", self.ca_pem), ("certificate", self.cert_pem)):
            if pem and "-----BEGIN CERTIFICATE-----" not in pem:
                raise EndpointError(f"the {name} is not a PEM certificate")
        if self.key_pem and "PRIVATE KEY-----" not in self.key_pem:
            raise EndpointError("the TLS key is not a PEM private key")

    def materialize(self) -> tuple[str | None, tempfile.TemporaryDirectory | None]:
        """Write TLS material to a private temporary folder (mode 700) for the docker SDK; caller cleans it."""
        if not self.tls or not (self.ca_pem or self.cert_pem):
            return None, None
        folder = tempfile.TemporaryDirectory(prefix="davit-tls-")
        os.chmod(folder.name, 0o700)
        for name, pem in (("ca.pem", self.ca_pem), ("cert.pem", self.cert_pem), ("key.pem", self.key_pem)):
            if pem:
                path = os.path.join(folder.name, name)
                with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
                    handle.write(pem)
        return folder.name, folder


def validate_url(url: str) -> None:
    if not url:
        raise EndpointError("the endpoint is empty; give unix:///path/to/docker.sock or tcp://host:2376")
    parsed = urlparse(url)
    if parsed.scheme not in SCHEMES:
        raise EndpointError(f"the endpoint {url!r} must start with unix://, tcp:// or https://")
    if parsed.scheme == "unix":
        if not parsed.path:
            raise EndpointError(f"the endpoint {url!r} names no socket path")
    else:
        if not parsed.hostname:
            raise EndpointError(f"the endpoint {url!r} names no host")
        try:
            port = parsed.port
        except ValueError:
            raise EndpointError(f"the endpoint {url!r} has an invalid port") from None
        if port is None:
            raise EndpointError(f"the endpoint {url!r} names no port (e.g. :2376)")
