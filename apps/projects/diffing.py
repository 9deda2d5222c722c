"""Per-service, per-field differences of stored specs and live specs (pure: no Django, no Docker).

The field list comes from apps.swarm.specs.spec_changes on normalized specs; each entry is also given the two
values found at its path, so pages and the API can show "deployed 2, live 3".
"""

from __future__ import annotations

import difflib
import json

from apps.swarm.images import split_reference, with_tag
from apps.swarm.specs import normalize, normalize_file_object, normalize_network, spec_changes

ABSENT = None


def _resolve(value, path: str):
    """The value at a spec_changes path ("TaskTemplate.ContainerSpec.Env", "Labels.com.docker.stack.image",
    "TaskTemplate.Networks[Target=x].Aliases", "Mounts[0]"); None when it is absent."""
    if not path:
        return value
    if path.startswith("["):
        end = path.find("]")
        if end < 0 or not isinstance(value, list):
            return ABSENT
        token, rest = path[1:end], path[end + 1 :].lstrip(".")
        if "=" in token:
            key, _, wanted = token.partition("=")
            found = next((v for v in value if isinstance(v, dict) and str(v.get(key)) == wanted), ABSENT)
        else:
            try:
                found = value[int(token)]
            except (ValueError, IndexError):
                return ABSENT
        return ABSENT if found is ABSENT else _resolve(found, rest)
    if not isinstance(value, dict):
        return ABSENT
    best = None
    for key in value:
        key_text = str(key)
        matches = path == key_text or path.startswith((key_text + ".", key_text + "["))
        if matches and (best is None or len(key_text) > len(str(best))):
            best = key
    if best is None:
        return ABSENT
    rest = path[len(str(best)) :]
    return _resolve(value[best], rest.removeprefix("."))


def field_changes(a: dict, b: dict) -> list[dict]:
    """[{"field", "old", "new", "change"}] from normalized `a` to normalized `b`."""
    out = []
    for text in spec_changes(a, b):
        field, _, change = text.partition(": ")
        out.append({"field": field, "old": _resolve(a, field), "new": _resolve(b, field), "change": change})
    return out


def _same_image(deployed: str, live: str) -> bool:
    """The live image is the deployed one pinned to a digest (--resolve-image), or the same with its tag."""
    if deployed == live:
        return True
    _repo, _tag, d_digest = split_reference(deployed)
    l_repo, l_tag, l_digest = split_reference(live)
    if d_digest:
        return d_digest == l_digest
    return with_tag(deployed) == with_tag(f"{l_repo}:{l_tag}" if l_tag else l_repo)


def comparable(spec: dict, *, networks: dict | None = None, namespace: str | None = None) -> dict:
    return normalize(spec, networks=networks or {}, namespace=namespace)


def service_changes(
    stored: dict, live: dict, *, networks: dict | None = None, namespace: str | None = None
) -> list[dict]:
    """Fields in which the live service differs from the stored spec (a digest pinned on deploy is no drift)."""
    a = comparable(stored, namespace=namespace)
    b = comparable(live, networks=networks, namespace=namespace)
    a_image = ((a.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image", "")
    b_container = (b.get("TaskTemplate") or {}).get("ContainerSpec") or {}
    if a_image and _same_image(a_image, b_container.get("Image", "")):
        b_container["Image"] = a_image
    return field_changes(a, b)


def _sections(specs: dict) -> dict[str, dict]:
    return {
        "services": {k: normalize(v) for k, v in (specs.get("services") or {}).items()},
        "networks": {k: normalize_network(v) for k, v in (specs.get("networks") or {}).items()},
        "secrets": {k: normalize_file_object(v) for k, v in (specs.get("secrets") or {}).items()},
        "configs": {k: normalize_file_object(v) for k, v in (specs.get("configs") or {}).items()},
        "externals": {
            f"{kind}:{name}": {"external": True}
            for kind in ("networks", "secrets", "configs")
            for name in specs.get(f"external_{kind}") or []
        },
    }


def specs_diff(a: dict, b: dict) -> dict[str, list[dict]]:
    """Per section (services, networks, secrets, configs, externals), per object: added, removed or changed,
    with the changed fields. Unchanged objects are listed with status "unchanged" and no fields."""
    left, right = _sections(a or {}), _sections(b or {})
    out: dict[str, list[dict]] = {}
    for section in left:
        rows = []
        for key in sorted(set(left[section]) | set(right[section])):
            if key not in right[section]:
                rows.append({"name": key, "status": "removed", "changes": []})
            elif key not in left[section]:
                rows.append({"name": key, "status": "added", "changes": []})
            else:
                changes = field_changes(left[section][key], right[section][key])
                rows.append({"name": key, "status": "changed" if changes else "unchanged", "changes": changes})
        out[section] = rows
    return out


def text_diff(a: str, b: str, a_name: str, b_name: str) -> list[dict]:
    """A unified diff of two texts as rows {"kind": add|del|hunk|same, "text"} for a page."""
    rows = []
    for line in difflib.unified_diff(
        (a or "").splitlines(), (b or "").splitlines(), fromfile=a_name, tofile=b_name, lineterm=""
    ):
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        rows.append({"kind": kind, "text": line})
    return rows


def mapping_diff(a: dict, b: dict) -> list[dict]:
    """Keys added, removed or changed between two flat mappings (variables)."""
    rows = []
    for key in sorted(set(a or {}) | set(b or {})):
        old, new = (a or {}).get(key), (b or {}).get(key)
        if old != new:
            rows.append({"field": key, "old": old, "new": new})
    return rows


def show(value) -> str:
    """A value as a page shows it."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)
