"""Pages: the operations list and the operation page, live through server-sent events (htmx sse extension).

`stream` is an async view: under ASGI (uvicorn) it streams state, progress bars and new events as they happen and
closes with a `finished` event; under WSGI (runserver, live_server) it answers one snapshot with a `retry:` hint,
so the browser's EventSource reconnects every two seconds: the polling fallback needs no other code path.
`live` is the same snapshot as htmx out-of-band fragments, polled by browsers without EventSource.
"""

from __future__ import annotations

import asyncio
import re
import time

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import Action
from apps.core.errors import DavitError, Forbidden, NotFound

from . import selectors, services
from .models import ACTIVE, Status
from .runners import LABELS, label

STREAM_POLL = 0.5
STREAM_LIFETIME = 300.0
KEEPALIVE = 15.0


def _get(user, pk, action: Action = Action.VIEW):
    try:
        return selectors.operation_get(user, pk, action)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _state_context(request, op) -> dict:
    return {
        "op": op,
        "kind_label": label(op.kind),
        "may_operate": request.user.is_authenticated and selectors.may_operate(request.user, op),
        "active": op.status in ACTIVE,
    }


@login_required
def operation_list(request):
    filters = {key: request.GET.get(key, "") for key in selectors.FILTERS}
    queryset = selectors.operations_visible(request.user, filters)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "operations": page.object_list,
        "filters": filters,
        "statuses": Status.choices,
        "kinds": sorted((kind, str(text)) for kind, text in LABELS.items()),
        "any_active": any(op.status in ACTIVE for op in page.object_list),
        "query": request.GET.urlencode(),
    }
    if request.headers.get("HX-Request") and request.GET.get("partial") == "rows":
        return render(request, "operations/_rows.html", context)
    return render(request, "operations/list.html", context)


@login_required
def operation_detail(request, pk: int):
    op = _get(request.user, pk)
    events = list(op.events.order_by("seq"))
    context = {
        **_state_context(request, op),
        "events": events,
        "last_seq": events[-1].seq if events else 0,
        "items": selectors.latest_items(op),
    }
    return render(request, "operations/detail.html", context)


@login_required
@require_POST
def operation_cancel(request, pk: int):
    op = _get(request.user, pk)
    try:
        op = services.operation_cancel(request.user, op)
    except Forbidden as exc:
        messages.error(request, exc.message)
        return HttpResponse(status=403, content=exc.message)
    except DavitError as exc:
        messages.error(request, exc.message)
    else:
        if op.status == Status.CANCELLED:
            messages.success(request, _("Operation %(id)s was cancelled.") % {"id": op.pk})
        else:
            messages.success(request, _("Cancel requested: operation %(id)s stops at its next step.") % {"id": op.pk})
    return redirect("operations:detail", pk=op.pk)


@login_required
@require_POST
def operation_retry(request, pk: int):
    op = _get(request.user, pk)
    try:
        new = services.operation_retry(request.user, op)
    except Forbidden as exc:
        return HttpResponse(status=403, content=exc.message)
    except DavitError as exc:
        messages.error(request, exc.message)
        return redirect("operations:detail", pk=op.pk)
    messages.success(request, _("Operation %(new)s retries operation %(old)s.") % {"new": new.pk, "old": op.pk})
    return redirect("operations:detail", pk=new.pk)


# ------------------------------------------------------------------------------------------------ live
def _snapshot(request, pk: int, after: int, previous_state: str | None):
    """(events html list [(seq, html)], state html or None when unchanged, bars html or None, finished)."""
    op = _get(request.user, pk)
    events = selectors.events_after(op, after)
    context = _state_context(request, op)
    state = render_to_string("operations/_state.html", context, request=request)
    changed = _comparable(state) != _comparable(previous_state)
    rendered = [(e.seq, render_to_string("operations/_event.html", {"event": e})) for e in events]
    bars = None
    if rendered or previous_state is None:
        bars = render_to_string("operations/_bars.html", {"items": selectors.latest_items(op)})
    return rendered, (state if changed else None), state, bars, op.status not in ACTIVE


CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _comparable(html: str | None) -> str | None:
    """The state without its CSRF token (masked afresh at each render), to tell whether anything changed."""
    return CSRF_VALUE.sub("", html) if html is not None else None


def _sse(event: str, data: str, event_id: int | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines += [f"data: {line}" for line in (data.splitlines() or [""])]
    return "\n".join(lines) + "\n\n"


def _after(request) -> int:
    values = [request.GET.get("after", ""), request.headers.get("Last-Event-ID", "")]
    return max([int(v) for v in values if v and v.isdigit()] or [0])


async def _user_or_none(request):
    user = await request.auser()
    return user if user.is_authenticated else None


async def operation_stream(request, pk: int):
    user = await _user_or_none(request)
    if user is None:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    await sync_to_async(_get)(user, pk)  # 404 before any stream starts
    after = _after(request)

    if not isinstance(request, ASGIRequest):
        # WSGI cannot hold a stream open: answer one snapshot; the browser's EventSource comes back (retry).
        events, _changed, state, bars, finished = await sync_to_async(_snapshot)(request, pk, after, None)
        body = ["retry: 2000\n\n", *(_sse("event", html, seq) for seq, html in events), _sse("state", state)]
        if bars is not None:
            body.append(_sse("bars", bars))
        if finished:
            body.append(_sse("finished", ""))
        return _event_stream_response(HttpResponse("".join(body)))

    async def stream():
        last, previous_state = after, None
        started = last_sent = time.monotonic()
        yield "retry: 2000\n\n"
        while True:
            events, state, current, bars, finished = await sync_to_async(_snapshot)(request, pk, last, previous_state)
            for seq, html in events:
                yield _sse("event", html, seq)
                last = seq
            if state is not None:
                yield _sse("state", state)
            if bars is not None:
                yield _sse("bars", bars)
            if events or state is not None:
                last_sent = time.monotonic()
            previous_state = current
            if finished:
                yield _sse("finished", "")
                return
            if time.monotonic() - started > STREAM_LIFETIME:
                return
            if time.monotonic() - last_sent > KEEPALIVE:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            await asyncio.sleep(STREAM_POLL)

    return _event_stream_response(StreamingHttpResponse(stream()))


def _event_stream_response(response):
    response["Content-Type"] = "text/event-stream"
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@login_required
def operation_live(request, pk: int):
    """The polling fallback: new events, state and bars as htmx out-of-band fragments."""
    after = _after(request)
    events, _state, state, bars, finished = _snapshot(request, pk, after, None)
    context = {
        "events_html": "".join(html for _seq, html in events),
        "state_html": state,
        "bars_html": bars,
        "last_seq": events[-1][0] if events else after,
        "finished": finished,
        "pk": pk,
    }
    return render(request, "operations/_live.html", context)
