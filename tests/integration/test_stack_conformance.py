"""Conformance with `docker stack deploy`: every case folder of DAVIT_CONFORMANCE_DIRS is deployed by the real CLI
and through Davit's service layer (project_create + project_deploy, run by a real Celery worker), and the swarm
must end up holding the same services, networks, secrets and configs, spec for spec.

DAVIT_CONFORMANCE_DIRS is a colon-separated list of folders of cases (`.ci/run` sets it; by default
../shared/conformance and tests/conformance/cases). A case folder holds stack.yml, optionally `env` (KEY=VALUE: the
only environment the file is interpolated in), `external-networks` (overlay networks that must exist first) and
the files the Compose file names (see ../shared/conformance/README.md).

For each case, one after the other (two stacks from one file may clash on published ports or on `name:`d
objects): the CLI deploys it three times (create, then the update path twice), with the specs recorded after each
deploy; the stack is removed; then Davit deploys it three times (a project and its revision 1; a new revision
from the same file; the same revision again). After each pair of deploys the normalized specs (ids, versions,
timestamps and the stack name mapped away) must be equal; a failure lists each differing field. Davit's
redeploys of an identical file must leave every service alone (same version), where the CLI always updates.
Images are not pulled (--resolve-image never on both sides; tasks may not start): only specs are compared.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from apps.accounts.models import Membership, Role
from apps.clusters.models import Cluster
from apps.core.errors import DavitError
from apps.operations.models import Operation
from apps.projects import services as projects
from apps.projects.models import TeamPolicy
from apps.swarm.compose import ComposeError, load_stack
from tests.conftest import celery_worker, make_user, process_env
from tests.support.stacks import remove_retrying, wait_finished

from .stackspecs import (
    case_folders,
    cli,
    differences,
    purge_stack,
    read_env,
    read_files,
    read_lines,
    snapshot,
    stable_versions,
    stack_deploy,
    wait_stack_gone,
)

pytestmark = pytest.mark.django_db(transaction=True)


def cases() -> list:
    return [pytest.param(path, id=name) for name, path in case_folders()]


@pytest.fixture(scope="module")
def worker(django_db_setup, lab):
    """One Celery worker for the module, on the test database and this run's Redis."""
    with celery_worker(process_env(lab), name="conformance") as process:
        yield process


@pytest.fixture
def owner(team):
    """An admin of a team whose policy allows everything (the cases use binds, capabilities, sysctls...)."""
    TeamPolicy.objects.create(team=team, **dict.fromkeys(TeamPolicy.FLAGS, True))
    user = make_user(f"conformance-{uuid.uuid4().hex[:6]}")
    Membership.objects.create(team=team, user=user, role=Role.ADMIN)
    return user


WRITES = ("create", "update", "remove")


def _apply(op: Operation) -> Operation:
    done = wait_finished(op, timeout=120)
    events = "\n".join(f"  {e.level} {e.message}" for e in done.events.order_by("seq"))
    assert done.status == "succeeded", f"Davit's deploy failed: {done.explanation}\n{events}"
    return done


def _compare(step: str, oracle, davit) -> None:
    lines = differences(oracle, davit)
    if lines:
        detail = "\n".join(f"  {line}" for line in lines)
        raise AssertionError(
            f"{step}: the swarm differs between `docker stack deploy` and Davit "
            f"(field: CLI value -> Davit value):\n{detail}"
        )


def deploy_args(namespace: str) -> list[str]:
    return ["stack", "deploy", "--resolve-image", "never", "-c", "stack.yml", namespace]


def _assert_davit_refuses(case: Path, cli_error: str, owner, team, cluster, namespace, files, variables) -> None:
    """A negative case: `docker stack deploy` refused the file, so Davit must refuse it too (when the project
    is made, or else by a failed deploy), and leave nothing on the swarm."""
    try:
        project = projects.project_create(
            owner, team, cluster, namespace, (case / "stack.yml").read_text(), files, variables
        )
    except DavitError:
        return
    done = wait_finished(projects.project_deploy(owner, project, detach=True), timeout=120)
    assert done.status == "failed", f"`docker stack deploy` refused {case.name} ({cli_error}) but Davit deployed it"


def _create_external_networks(swarm, names: list[str]) -> list[str]:
    made = []
    existing = {n["Name"] for n in swarm.network_list()}
    for name in names:
        if name not in existing:
            swarm.network_create({"Name": name, "Driver": "overlay", "Attachable": True})
            made.append(name)
    return made


def _remove_stack(swarm, namespace: str, docker_host: str, leftovers: list) -> None:
    """`docker stack rm`, which removes the services at once; the overlay networks go only once the tasks have
    stopped (a busybox `sleep` takes its whole stop grace period), so they are waited for at the end of the module."""
    cli(["stack", "rm", namespace], docker_host=docker_host)
    leftovers.append(("stack", namespace))


@pytest.fixture(scope="module")
def leftovers(swarm):
    """Stacks and external networks the cases removed or made: at the end of the module, every one is gone."""
    items: list[tuple[str, str]] = []
    yield items
    for kind, name in items:
        if kind == "stack":
            purge_stack(swarm, name)
    for kind, name in items:
        if kind == "network":
            remove_retrying(swarm.network_remove, name, time.monotonic() + 60)


@pytest.mark.parametrize("case", cases())
def test_stack_deploy_conformance(case: Path, swarm, lab, worker, leftovers, team, owner):
    assert case.is_dir(), f"the conformance directory {case} does not exist (check DAVIT_CONFORMANCE_DIRS)"
    compose_path = case / "stack.yml"
    assert compose_path.is_file(), f"the case folder {case} has no stack.yml"
    compose = compose_path.read_text()
    variables = read_env(case)
    files = read_files(case)
    externals = read_lines(case / "external-networks")
    suffix = uuid.uuid4().hex[:8]
    cli_stack, davit_stack = f"cfc{suffix}", f"cfd{suffix}"
    docker_host = lab["DOCKER_HOST"]
    cluster = Cluster.objects.create(name=f"cf-{suffix}", team=team, endpoint_url=docker_host)
    made_networks: list[str] = []
    try:
        made_networks = _create_external_networks(swarm, externals)

        # -- the oracle: the real CLI, three deploys (a file it refuses, Davit must refuse too)
        first = cli(deploy_args(cli_stack), docker_host=docker_host, env=variables, cwd=case)
        if first.returncode != 0:
            _assert_davit_refuses(case, first.stderr.strip(), owner, team, cluster, davit_stack, files, variables)
            return
        try:
            plan = load_stack(compose, namespace=davit_stack, files=files, variables=variables)
        except ComposeError as exc:
            raise AssertionError(f"Davit refuses what `docker stack deploy` accepts: {exc}") from None
        # networks whose subnet the file sets keep it in the comparison (the engine picks the others)
        keep_subnets = {
            body["Name"].replace(davit_stack, "{stack}", 1) for body in plan.networks.values() if body.get("IPAM")
        }
        oracle = [snapshot(swarm, cli_stack, keep_subnets=keep_subnets)]
        for _ in range(2):
            stack_deploy(case, cli_stack, docker_host=docker_host, env=variables)
            oracle.append(snapshot(swarm, cli_stack, keep_subnets=keep_subnets))
        assert oracle[0].services, f"the CLI deployed no service of {case.name}"
        _remove_stack(swarm, cli_stack, docker_host, leftovers)
        # its services (and so its published ports) go at once; wait for the objects Davit would clash with:
        # those named with `name:` and networks with a chosen subnet (the others go later, see `leftovers`)
        wait_stack_gone(
            swarm,
            cli_stack,
            keep=lambda kind, name: (
                kind != "service"
                and name.startswith(f"{cli_stack}_")
                and name.replace(cli_stack, "{stack}", 1) not in keep_subnets
            ),
        )

        # -- Davit: a project and its first deploy
        project = projects.project_create(owner, team, cluster, davit_stack, compose, files, variables, "conformance")
        _apply(projects.project_deploy(owner, project, detach=True))
        _compare("first deploy", oracle[0], snapshot(swarm, davit_stack, keep_subnets=keep_subnets))

        # -- the update path: a new revision of the same file, then the same revision again
        before = stable_versions(swarm, davit_stack)
        objects_before = snapshot(swarm, davit_stack, keep_subnets=keep_subnets).object_ids
        projects.revision_create(owner, project, compose, files, variables, "conformance again")
        for step, oracle_snap in (("second deploy", oracle[1]), ("third deploy", oracle[2])):
            op = _apply(projects.project_deploy(owner, project, detach=True))
            now = snapshot(swarm, davit_stack, keep_subnets=keep_subnets)
            _compare(step, oracle_snap, now)
            result = op.result or {}
            changed = [e.message for e in op.events.order_by("seq") if (e.data or {}).get("action") in WRITES]
            assert not result.get("created"), f"{step}: Davit created services again: {result.get('created')}"
            assert not result.get("updated"), f"{step}: Davit changed services of an identical file:\n  " + "\n  ".join(
                changed
            )
            moved = {n: (before.get(n), v) for n, v in now.versions.items() if before.get(n) != v}
            assert not moved, f"{step}: Davit touched unchanged services (version before -> after): {moved}"
            assert now.object_ids == objects_before, f"{step}: networks, secrets or configs were re-created"
    finally:
        for namespace in (cli_stack, davit_stack):
            _remove_stack(swarm, namespace, docker_host, leftovers)
        leftovers.extend(("network", name) for name in made_networks)
