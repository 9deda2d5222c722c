"""Runners used by the runner tests (registered into RUNNERS by the tests themselves)."""

import time

from apps.operations.runner import OperationFailed
from apps.swarm.errors import Unreachable


def succeed(ctx):
    ctx.event("step one", data={"n": 1})
    ctx.progress(40)
    ctx.summary = f"did it with {ctx.params['value']} and a secret of {len(ctx.sealed['token'])} characters"
    return {"value": ctx.params["value"]}


def fail_cleanly(ctx):
    ctx.result["partial"] = True
    raise OperationFailed("The thing could not be done because of X; fix X and retry.")


def swarm_down(ctx):
    raise Unreachable("Listing services: the Docker engine at unix:///nowhere.sock cannot be reached")


def crash(ctx):
    return {}["missing"]


def wait_for_cancel(ctx):
    ctx.event("waiting")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ctx.check_cancel()
        time.sleep(0.05)
    raise OperationFailed("never cancelled")


def slow_heartbeat(ctx):
    time.sleep(float(ctx.params.get("seconds", 1.0)))
