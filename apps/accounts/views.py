"""Account pages: sign-in, password, profile with API tokens, teams and their members."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.selectors import audit_entries
from apps.core.errors import Conflict, ValidationFailed

from . import selectors, services
from .forms import MemberAddForm, MemberRoleForm, TeamForm, TokenForm
from .models import Role
from .permissions import Action, can, is_superuser, require_superuser, role_of

USER_ERRORS = (ValidationFailed, Conflict)


def _apply(request, form, invalid: str, work, success) -> tuple[bool, object]:
    """One write from a POSTed form, told as a message: `invalid` for a form that does not validate, the sentence of
    a refusal, or `success(result)`. Returns (done, result of `work(cleaned_data)`)."""
    if not form.is_valid():
        messages.error(request, invalid)
        return False, None
    try:
        result = work(form.cleaned_data)
    except USER_ERRORS as exc:
        messages.error(request, exc.message)
        return False, None
    messages.success(request, success(result))
    return True, result


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts:password-change-done")

    def form_valid(self, form):
        services.password_change(self.request.user, self.request.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return redirect(self.get_success_url())


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


def _profile(request, *, token_form=None, new_token=None, status=200):
    context = {
        "memberships": selectors.memberships_of_user(request.user),
        "tokens": selectors.tokens_of(request.user),
        "token_form": token_form or TokenForm(),
        "new_token": new_token,
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile(request):
    return _profile(request)


@login_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, value = services.token_create(
                request.user,
                name=form.cleaned_data["name"],
                expires=form.cleaned_data["expires_on"],
                read_only=form.cleaned_data["read_only"],
            )
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            # the value is rendered in this response only; it is not kept anywhere
            return _profile(request, new_token={"token": token, "value": value}, status=201)
    return _profile(request, token_form=form, status=400)


@login_required
@require_POST
def token_revoke(request, pk):
    token = services.token_revoke(request.user, selectors.token_get(request.user, pk))
    messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("accounts:profile")


@login_required
def teams(request):
    team_list = selectors.teams_visible(request.user)
    roles = dict(selectors.memberships_of_user(request.user).values_list("team_id", "role"))
    labels = dict(Role.choices)
    rows = [
        {"team": team, "role": roles.get(team.pk), "role_label": labels.get(roles.get(team.pk))} for team in team_list
    ]
    context = {"rows": rows, "create_form": TeamForm() if is_superuser(request.user) else None}
    return render(request, "accounts/teams.html", context)


@login_required
@require_POST
def team_create(request):
    require_superuser(request.user, "create a team")
    done, team = _apply(
        request,
        TeamForm(request.POST),
        _("A team needs a name of at most 100 characters."),
        lambda data: services.team_create(request.user, **data),
        lambda team: _("Team %(name)s created.") % {"name": team.name},
    )
    return redirect(team) if done else redirect("accounts:teams")


@login_required
def team_detail(request, pk):
    team = selectors.team_get(request.user, pk)
    is_admin = can(request.user, team, Action.ADMIN)
    members = [
        {"membership": m, "form": MemberRoleForm(initial={"role": m.role}, prefix=f"m{m.pk}")}
        for m in selectors.memberships_of_team(request.user, team)
    ]
    context = {
        "team": team,
        "members": members,
        "is_admin": is_admin,
        "my_role": dict(Role.choices).get(role_of(request.user, team)),
        "add_form": MemberAddForm() if is_admin else None,
        "team_form": TeamForm(initial={"name": team.name, "description": team.description}) if is_admin else None,
        "recent": audit_entries(request.user).filter(team=team)[:10],
    }
    return render(request, "accounts/team_detail.html", context)


@login_required
@require_POST
def team_update(request, pk):
    team = selectors.team_get(request.user, pk, Action.ADMIN)
    _apply(
        request,
        TeamForm(request.POST),
        _("A team needs a name of at most 100 characters."),
        lambda data: services.team_update(request.user, team, **data),
        lambda result: _("Team saved."),
    )
    return redirect("accounts:team-detail", pk=team.pk)


@login_required
@require_POST
def member_add(request, team_pk):
    team = selectors.team_get(request.user, team_pk, Action.ADMIN)
    _apply(
        request,
        MemberAddForm(request.POST),
        _("Give a username and a role."),
        lambda data: services.member_add(request.user, team, **data),
        lambda added: _("%(user)s added as %(role)s.") % {"user": added.user, "role": added.get_role_display()},
    )
    return redirect("accounts:team-detail", pk=team.pk)


@login_required
@require_POST
def member_change(request, team_pk, pk):
    membership = selectors.membership_get(request.user, team_pk, pk, Action.ADMIN)
    form = MemberRoleForm(request.POST, prefix=f"m{membership.pk}")
    if not form.is_valid():
        form = MemberRoleForm(request.POST)
    _apply(
        request,
        form,
        _("Choose a role: viewer, operator or admin."),
        lambda data: services.member_change(request.user, membership, role=data["role"]),
        lambda changed: _("%(user)s is now %(role)s.") % {"user": changed.user, "role": changed.get_role_display()},
    )
    return redirect("accounts:team-detail", pk=membership.team_id)


@login_required
@require_POST
def member_remove(request, team_pk, pk):
    membership = selectors.membership_get(request.user, team_pk, pk, Action.ADMIN)
    try:
        services.member_remove(request.user, membership)
    except USER_ERRORS as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(user)s removed from the team.") % {"user": membership.user})
    return redirect("accounts:team-detail", pk=membership.team_id)
