"""The `pull` runner against the lab registry: per-layer progress on both nodes, and the registry's errors."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from apps.operations.models import Status
from apps.operations.services import operation_start
from apps.swarm.errors import SwarmError

from .helpers import messages, run_now

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"l1": 1_600_000, "l2": 900_000}


def docker(lab: dict, config: str, *args: str, input_data: str | None = None) -> str:
    env = {**os.environ, "DOCKER_HOST": lab["DOCKER_HOST"], "DOCKER_CONFIG": config, "DOCKER_BUILDKIT": "0"}
    done = subprocess.run(["docker", *args], env=env, capture_output=True, text=True, input=input_data, timeout=300)
    if done.returncode:
        raise AssertionError(f"docker {' '.join(args)} failed: {done.stderr or done.stdout}")
    return done.stdout


def push_image(lab: dict, config: str, repository: str) -> str:
    """Build FROM lab/busybox:1 with two layers of random bytes, push it, and drop it from the manager."""
    image = f"{lab['DAVIT_LAB_REGISTRY']}/{repository}:{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        for name, size in LAYERS.items():
            Path(folder, name).write_bytes(os.urandom(size))
        Path(folder, "Dockerfile").write_text("FROM lab/busybox:1\nCOPY l1 /l1\nCOPY l2 /l2\n")
        docker(lab, config, "build", "-q", "-t", image, folder)
    docker(lab, config, "push", image)
    docker(lab, config, "rmi", image)
    return image


@pytest.fixture(scope="session")
def registry_login(lab):
    config = tempfile.mkdtemp(prefix="davit-docker-config-")
    docker(
        lab,
        config,
        "login",
        lab["DAVIT_LAB_REGISTRY"],
        "-u",
        lab["DAVIT_LAB_REGISTRY_USER"],
        "--password-stdin",
        input_data=lab["DAVIT_LAB_REGISTRY_PASSWORD"],
    )
    return config


@pytest.fixture(scope="session")
def layered_image(lab, registry_login, swarm, worker_swarm):
    image = push_image(lab, registry_login, "davit-tests/layers")
    yield image
    for client in (swarm, worker_swarm):
        with contextlib.suppress(SwarmError):
            client.image_remove(image, force=True)


def auths(lab, password: str | None = None) -> dict:
    registry = lab["DAVIT_LAB_REGISTRY"]
    return {
        "registry_auths": {
            registry: {
                "username": lab["DAVIT_LAB_REGISTRY_USER"],
                "password": password or lab["DAVIT_LAB_REGISTRY_PASSWORD"],
                "serveraddress": registry,
            }
        }
    }


def start_pull(actor, cluster, image, nodes, sealed):
    return operation_start(
        actor,
        kind="pull",
        team=cluster.team,
        target=cluster,
        cluster=cluster,
        params={"image": image, "nodes": nodes},
        sealed=sealed,
    )


def test_pull_records_per_layer_progress_on_both_nodes(lab, lab_cluster, operator_user, layered_image, sent):
    nodes = [
        {"name": "manager", "endpoint": lab["DOCKER_HOST"]},
        {"name": "lab-w1", "endpoint": lab["DAVIT_LAB_WORKER_HOST"]},
    ]

    op = run_now(start_pull(operator_user, lab_cluster, layered_image, nodes, auths(lab)))

    assert op.status == Status.SUCCEEDED, op.explanation
    assert op.progress == 100
    assert op.explanation == f"Pulled {layered_image} on 2 node(s): manager, lab-w1."
    events = list(op.events.order_by("seq"))
    for node in ("manager", "lab-w1"):
        sized = [e.data for e in events if e.data.get("node") == node and e.data.get("phase") == "download"]
        totals = sorted({d["total"] for d in sized})
        # the two random layers are downloaded (compressed sizes close to their raw sizes), with bytes done; a node
        # that got the base image by `docker load` (no registry metadata) downloads the base layer too
        assert len([t for t in totals if t > 500_000]) >= 2, (node, totals)
        for layer in {d["layer"] for d in sized}:
            steps = [d["current"] for d in sized if d["layer"] == layer]
            total = next(d["total"] for d in sized if d["layer"] == layer)
            assert steps == sorted(steps)
            assert steps[-1] == total
        assert any(d["current"] < d["total"] for d in sized), "no intermediate progress was recorded"
        assert any(e.message.startswith(f"{node}: layer ") and e.message.endswith("pull complete") for e in events)
        assert op.result["nodes"][node]["digest"].startswith("sha256:")
    assert lab["DAVIT_LAB_REGISTRY_PASSWORD"] not in " ".join(messages(op))


def test_wrong_password_ends_with_the_registrys_message(lab, lab_cluster, operator_user, layered_image, sent):
    nodes = [{"name": "manager", "endpoint": lab["DOCKER_HOST"]}]
    op = run_now(start_pull(operator_user, lab_cluster, layered_image, nodes, auths(lab, "not-the-password")))
    assert op.status == Status.FAILED
    assert op.explanation.startswith(f"On manager: Pulling {layered_image}: ")
    assert "unauthorized" in op.explanation.lower() or "authentication required" in op.explanation.lower()
    assert "not-the-password" not in op.explanation


def test_unknown_tag_ends_with_the_registrys_message(lab, lab_cluster, operator_user, layered_image, sent):
    missing = layered_image.rsplit(":", 1)[0] + ":no-such-tag"
    op = run_now(start_pull(operator_user, lab_cluster, missing, [], auths(lab)))
    assert op.status == Status.FAILED
    assert "manifest unknown" in op.explanation or "not found" in op.explanation, op.explanation
    assert op.explanation.startswith(f"On {lab_cluster.name}: Pulling {missing}: ")


def _registry_root() -> Path:
    text = (ROOT / "var/lab/registry.yml").read_text()
    return Path(re.search(r"rootdirectory:\s*(\S+)", text).group(1))


def test_error_inside_the_pull_stream_ends_the_operation(lab, lab_cluster, operator_user, registry_login, swarm, sent):
    """A layer whose bytes no longer match its digest: Docker reports it inside the HTTP 200 stream."""
    image = push_image(lab, registry_login, "davit-tests/corrupt")
    try:
        import requests

        repository, tag = image.split("/", 1)[1].rsplit(":", 1)
        manifest = requests.get(
            f"http://{lab['DAVIT_LAB_REGISTRY']}/v2/{repository}/manifests/{tag}",
            auth=(lab["DAVIT_LAB_REGISTRY_USER"], lab["DAVIT_LAB_REGISTRY_PASSWORD"]),
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
            timeout=10,
        )
        manifest.raise_for_status()
        layer = manifest.json()["layers"][-1]["digest"].split(":", 1)[1]
        blob = _registry_root() / "docker/registry/v2/blobs/sha256" / layer[:2] / layer / "data"
        original = blob.read_bytes()
        blob.write_bytes(bytes(b ^ 0xFF for b in original[:64]) + original[64:])

        op = run_now(
            start_pull(
                operator_user, lab_cluster, image, [{"name": "manager", "endpoint": lab["DOCKER_HOST"]}], auths(lab)
            )
        )

        assert op.status == Status.FAILED
        assert op.explanation.startswith(f"On manager: Pulling {image}: ")
        assert "verification failed" in op.explanation or "digest" in op.explanation, op.explanation
        assert "Traceback" not in op.explanation
    finally:
        with contextlib.suppress(SwarmError):
            swarm.image_remove(image, force=True)
