"""SwarmClient: one per cluster endpoint; every Docker call of Davit goes through it.

Docker errors become apps.swarm.errors exceptions with a sentence naming the object and the cause.
The class is assembled from mixins kept one topic a file (services, nodes, resources, images).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator

import docker
import requests
from docker import errors as docker_errors

from . import errors
from .endpoint import Endpoint, EndpointError
from .images import ImagesMixin
from .nodes import NodesMixin
from .resources import ResourcesMixin
from .services import ServicesMixin


def _explanation(exc: docker_errors.APIError) -> str:
    text = exc.explanation or ""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    with contextlib.suppress(ValueError, TypeError):
        text = json.loads(text).get("message", text)
    return str(text).strip() or str(exc)


@contextlib.contextmanager
def translate(what: str, endpoint: str = "") -> Iterator[None]:
    """Map any docker/requests error raised inside to a SwarmError whose sentence starts with `what`."""
    where = f" at {endpoint}" if endpoint else ""
    try:
        yield
    except errors.SwarmError:
        raise
    except requests.exceptions.SSLError as exc:
        raise errors.TLSRejected(
            f"{what}: the Docker engine{where} rejected the TLS handshake ({exc.__class__.__name__})"
        )
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError, TimeoutError) as exc:
        reason = "timed out" if isinstance(exc, requests.exceptions.Timeout | TimeoutError) else "cannot be reached"
        raise errors.Unreachable(f"{what}: the Docker engine{where} {reason}")
    except docker_errors.NotFound as exc:
        raise errors.ObjectNotFound(f"{what}: {_explanation(exc)}")
    except docker_errors.APIError as exc:
        message = _explanation(exc)
        code = exc.status_code or 500
        lowered = message.lower()
        if "not a swarm manager" in lowered:
            if "worker" in lowered:
                raise errors.NotManager(f"{what}: the engine{where} is a swarm worker, not a manager")
            raise errors.NotInSwarm(f"{what}: the engine{where} is not in swarm mode")
        if code == 409 or "update out of sequence" in lowered:
            raise errors.ObjectConflict(f"{what}: {message}")
        if code == 503 and "swarm" in lowered:
            raise errors.NotInSwarm(f"{what}: {message}")
        if code in (400, 403):
            raise errors.Rejected(f"{what}: {message}")
        raise errors.SwarmError(f"{what}: {message}")
    except docker_errors.DockerException as exc:
        text = str(exc)
        if "SSLError" in text or "SSL:" in text:  # the version probe wraps TLS failures in a DockerException
            raise errors.TLSRejected(f"{what}: the Docker engine{where} rejected the TLS handshake (SSLError)")
        if "Connection" in text or "No such file" in text or "Max retries" in text or "timed out" in text:
            reason = "timed out" if "timed out" in text else "cannot be reached"
            raise errors.Unreachable(f"{what}: the Docker engine{where} {reason}")
        raise errors.SwarmError(f"{what}: {text}")
    except EndpointError as exc:
        raise errors.SwarmError(f"{what}: {exc}")


class SwarmClient(ServicesMixin, NodesMixin, ResourcesMixin, ImagesMixin):
    """Talks to one engine (normally a swarm manager). Thread-safe lazy connection."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self._docker: docker.DockerClient | None = None
        self._tls_dir = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SwarmClient({self.endpoint.url})"

    def translate(self, what: str):
        return translate(what, self.endpoint.url)

    @property
    def docker(self) -> docker.DockerClient:
        with self._lock:
            if self._docker is None:
                with self.translate("Connecting to the Docker engine"):
                    self._docker = self._connect()
            return self._docker

    @property
    def api(self) -> docker.APIClient:
        return self.docker.api

    def _connect(self) -> docker.DockerClient:
        self.endpoint.check()
        url = self.endpoint.url.replace("https://", "tcp://")
        tls = False
        if self.endpoint.tls:
            folder, self._tls_dir = self.endpoint.materialize()
            tls = (
                docker.tls.TLSConfig(
                    client_cert=(f"{folder}/cert.pem", f"{folder}/key.pem") if self.endpoint.cert_pem else None,
                    ca_cert=f"{folder}/ca.pem" if self.endpoint.ca_pem else None,
                    verify=bool(self.endpoint.ca_pem),
                )
                if folder
                else True
            )
        return docker.DockerClient(base_url=url, tls=tls, timeout=self.endpoint.timeout, version="auto")

    @property
    def api_version(self) -> str:
        """The Engine API version negotiated with this engine (e.g. "1.41")."""
        return self.api.api_version

    def close(self) -> None:
        with self._lock:
            if self._docker is not None:
                self._docker.close()
                self._docker = None
            if self._tls_dir is not None:
                self._tls_dir.cleanup()
                self._tls_dir = None

    # raw Engine API access (specs are built as JSON bodies, see compose/) -----------------------------------
    def _get(self, path: str, **params):
        return self.api._result(self.api._get(self.api._url(path), params=params or None), json=True)

    def _post(self, path: str, body=None, headers=None, **params):
        response = self.api._post_json(
            self.api._url(path), data=body, headers=dict(headers or {}), params=params or None
        )
        return self.api._result(response, json=True)

    # facts ---------------------------------------------------------------------------------------------
    def info(self) -> dict:
        with self.translate("Reading the engine's information"):
            return self.api.info()

    def version(self) -> dict:
        with self.translate("Reading the engine's version"):
            return self.api.version()

    def swarm_facts(self) -> dict:
        """One call: swarm id, node counts, engine version; raises NotInSwarm / NotManager when it is neither."""
        info = self.info()
        swarm = info.get("Swarm") or {}
        state = swarm.get("LocalNodeState", "inactive")
        if state != "active":
            raise errors.NotInSwarm(f"The engine at {self.endpoint.url} is not in swarm mode (state: {state})")
        if not swarm.get("ControlAvailable"):
            raise errors.NotManager(f"The engine at {self.endpoint.url} is a swarm worker, not a manager")
        cluster = swarm.get("Cluster") or {}
        return {
            "swarm_id": cluster.get("ID", ""),
            "node_id": swarm.get("NodeID", ""),
            "nodes": swarm.get("Nodes", 0),
            "managers": swarm.get("Managers", 0),
            "engine_version": info.get("ServerVersion", ""),
            "name": info.get("Name", ""),
        }


_clients: dict[Endpoint, SwarmClient] = {}
_clients_lock = threading.Lock()


def client_for(endpoint: Endpoint) -> SwarmClient:
    """A cached client per endpoint (per process): the connection and API version are negotiated once."""
    with _clients_lock:
        client = _clients.get(endpoint)
        if client is None:
            client = _clients[endpoint] = SwarmClient(endpoint)
        return client


def forget(endpoint: Endpoint) -> None:
    with _clients_lock:
        client = _clients.pop(endpoint, None)
    if client is not None:
        client.close()
