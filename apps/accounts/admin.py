"""Admin of teams, memberships and API tokens (token values are never stored; their hash is never shown)."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from apps.core.admin import AuditedAdminMixin, DavitInline, DavitModelAdmin, ReadOnlyModelAdmin

from . import services
from .models import ApiToken, Membership, Team


class MembershipInline(DavitInline):
    model = Membership
    fields = ["user", "role"]
    autocomplete_fields = ["user"]


class UserMembershipInline(DavitInline):
    model = Membership
    fields = ["team", "role"]
    autocomplete_fields = ["team"]
    fk_name = "user"


@admin.register(Team)
class TeamAdmin(DavitModelAdmin):
    list_display = ["name", "description", "created"]
    search_fields = ["name", "description"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(DavitModelAdmin):
    list_display = ["team", "user", "role", "created"]
    list_filter = ["role", "team"]
    search_fields = ["team__name", "user__username"]
    autocomplete_fields = ["team", "user"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "user", "prefix", "read_only", "expires", "created", "last_used", "revoked"]
    list_filter = ["read_only"]
    search_fields = ["name", "user__username", "prefix"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked__isnull=True):
            services.token_revoke(request.user, token)
            count += 1
        self.message_user(request, _("%(count)d tokens revoked.") % {"count": count}, messages.SUCCESS)


User = get_user_model()
if admin.site.is_registered(User):
    base_user_admin = type(admin.site._registry[User])
    admin.site.unregister(User)
else:
    base_user_admin = UserAdmin


@admin.register(User)
class DavitUserAdmin(AuditedAdminMixin, base_user_admin):
    inlines = [*getattr(base_user_admin, "inlines", []), UserMembershipInline]
