"""The audit log page: filters (team, actor, action, target, time range), newest first, paginated."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .filters import AuditFilter
from .selectors import audit_entries, known_actions

PAGE_SIZE = 50


@login_required
def audit_list(request):
    filterset = AuditFilter(request.GET or None, queryset=audit_entries(request.user), request=request)
    entries = filterset.qs if filterset.is_bound else audit_entries(request.user)
    status = 200
    if filterset.is_bound and not filterset.is_valid():
        entries, status = entries.none(), 400
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page": page, "actions": known_actions(request.user)}
    return render(request, "audit/list.html", context, status=status)
