"""The `pull` runner: pull one image on chosen nodes, with per-layer progress events.

params:
    image       the image reference (registry/repository:tag or @digest)
    nodes       [{"name": str, "endpoint": "unix://... | tcp://host:port"}]; empty: the cluster's manager
sealed:
    registry_auths  {registry host: {username, password, serveraddress}}
    node_tls        {node name: {ca_pem, cert_pem, key_pem}} for tcp+TLS node endpoints (optional)

Each layer reports its state ("Pulling fs layer", "Downloading", "Download complete", "Pull complete"...) and,
while downloading or extracting, bytes done and total (events throttled to one per layer every half second).
An error inside Docker's pull stream ends the operation failed with the registry's own message.
"""

from __future__ import annotations

import time

from apps.swarm.client import client_for
from apps.swarm.endpoint import Endpoint, EndpointError
from apps.swarm.errors import SwarmError
from apps.swarm.images import auth_for

from ..runner import OperationFailed

THROTTLE = 0.5
MILESTONES = (
    "Pulling fs layer",
    "Waiting",
    "Verifying Checksum",
    "Download complete",
    "Pull complete",
    "Already exists",
)


def _nodes(ctx) -> list[tuple[str, object]]:
    nodes = ctx.params.get("nodes") or []
    if not isinstance(nodes, list):
        raise OperationFailed("Invalid parameters: nodes must be a list of {name, endpoint}")
    if not nodes:
        cluster = ctx.operation.cluster
        return [(cluster.name if cluster else "manager", ctx.client)]
    tls = (ctx.sealed or {}).get("node_tls") or {}
    clients = []
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or not node.get("endpoint"):
            raise OperationFailed(f"Invalid parameters: nodes[{index}].endpoint is missing")
        name = str(node.get("name") or node["endpoint"])
        material = tls.get(name) or {}
        endpoint = Endpoint(
            url=node["endpoint"],
            ca_pem=material.get("ca_pem", ""),
            cert_pem=material.get("cert_pem", ""),
            key_pem=material.get("key_pem", ""),
        )
        try:
            endpoint.check()
        except EndpointError as exc:
            raise OperationFailed(f"Invalid parameters: nodes[{index}].endpoint: {exc}")
        clients.append((name, client_for(endpoint)))
    return clients


def run(ctx) -> dict:
    image = ctx.params.get("image")
    if not isinstance(image, str) or not image.strip():
        raise OperationFailed("Invalid parameters: image is missing")
    image = image.strip()
    auth = auth_for(image, (ctx.sealed or {}).get("registry_auths"))
    nodes = _nodes(ctx)
    result = ctx.result
    result.update({"image": image, "nodes": {}})
    for number, (node, client) in enumerate(nodes):
        ctx.check_cancel()
        ctx.event(f"Pulling {image} on {node}", data={"node": node, "image": image})
        try:
            summary = _pull_on(ctx, client, node, image, auth, number, len(nodes))
        except SwarmError as exc:
            raise OperationFailed(f"On {node}: {exc.message}")
        result["nodes"][node] = summary
        ctx.event(
            f"Pulled {image} on {node}: {summary['status'] or 'done'}",
            data={"node": node, "image": image, "digest": summary["digest"], "layers": summary["layers"]},
        )
    ctx.summary = f"Pulled {image} on {len(nodes)} node(s): {', '.join(name for name, _ in nodes)}."
    return result


def _pull_on(ctx, client, node: str, image: str, auth, number: int, count: int) -> dict:
    layers: dict[str, dict] = {}
    last_sent: dict[str, float] = {}
    digest, status = "", ""
    for event in client.image_pull(image, auth=auth):
        ctx.check_cancel(max_age=1.0)
        layer = event.get("id")
        text = (event.get("status") or "").strip()
        detail = event.get("progressDetail") or {}
        if text.startswith("Digest:"):
            digest = text.split(":", 1)[1].strip()
            continue
        if text.startswith("Status:"):
            status = text.split(":", 1)[1].strip()
            continue
        if not layer or layer == image.rsplit(":", 1)[-1] or text.startswith("Pulling from"):
            continue
        state = layers.setdefault(layer, {"status": "", "current": 0, "total": 0})
        now = time.monotonic()
        if detail.get("total"):
            phase = "extract" if text == "Extracting" else "download"
            if phase == "download":
                state["current"], state["total"] = int(detail.get("current") or 0), int(detail["total"])
            complete = int(detail.get("current") or 0) >= int(detail["total"])
            if text != state["status"] or complete or now - last_sent.get(layer, 0) >= THROTTLE:
                state["status"] = text
                last_sent[layer] = now
                ctx.event(
                    f"{node}: layer {layer} {text.lower()} {_size(detail.get('current'))} of {_size(detail['total'])}",
                    data={
                        "node": node,
                        "layer": layer,
                        "status": text,
                        "phase": phase,
                        "current": int(detail.get("current") or 0),
                        "total": int(detail["total"]),
                    },
                )
        elif text and text != state["status"]:
            state["status"] = text
            if text in ("Verifying Checksum", "Download complete", "Pull complete") and state["total"]:
                state["current"] = state["total"]
            data = {"node": node, "layer": layer, "status": text}
            if state["total"]:
                phase = "download" if text in ("Verifying Checksum", "Download complete") else "done"
                data.update(current=state["current"], total=state["total"], phase=phase)
            ctx.event(f"{node}: layer {layer} {text.lower()}", data=data)
        _progress(ctx, layers, number, count)
    return {"digest": digest, "status": status, "layers": len(layers)}


def _progress(ctx, layers: dict, number: int, count: int) -> None:
    sized = [s for s in layers.values() if s["total"]]
    done = [s for s in layers.values() if s["status"] in ("Pull complete", "Already exists")]
    if not layers:
        return
    fraction = sum(s["current"] for s in sized) / sum(s["total"] for s in sized) * 0.8 if sized else 0.0
    fraction += 0.2 * len(done) / len(layers)
    ctx.progress(100 * (number + min(fraction, 1.0)) / count * 0.99)


def _size(value) -> str:
    value = int(value or 0)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return str(value)
