"""The consultants' admin for tenancy: consultancies, clients, people, keys and the audit log.

Every class goes through ``admin_scoping``; writes go through ``clients.services`` so that they
land in the audit log.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from clients import admin_webhooks  # noqa: F401  (registers the webhook pages)
from clients.admin_scoping import (
    ConsultancyScopedAdmin,
    TenantScopedAdmin,
    adopt_saved,
    hub_or,
    principal_of,
)
from clients.audit_changes import MISSING, changes
from clients.labels import audit_action_label, job_kind_label
from clients.models import (
    ApiKey,
    AuditLogEntry,
    Client,
    ClientAssignment,
    ClientMembership,
    Consultancy,
    ConsultancyMembership,
    Job,
    User,
)
from clients.principals import Action
from clients.selectors import clients_visible_to, consultancies_managed_by, consultancies_of
from clients.services.api_keys import api_key_create, api_key_revoke
from clients.services.people import (
    client_assign,
    client_member_remove,
    client_member_set,
    consultancy_member_remove,
    consultancy_member_set,
    user_get_or_create,
)
from clients.services.tenants import (
    CLIENT_FIELDS,
    CONSULTANCY_FIELDS,
    client_create,
    client_update,
    consultancy_update,
)

# --- users (platform operators only) ----------------------------------------------------------


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People are added by consultancies through their memberships; this page is the operator's."""

    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["full_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


# --- consultancies and clients ----------------------------------------------------------------


@admin.register(Consultancy)
class ConsultancyAdmin(ConsultancyScopedAdmin):
    consultancy_path = ""
    list_display = ["name", "slug", "currency", "timezone", "status_tolerance"]
    search_fields = ["name", "slug"]
    view_action = Action.READ

    def scope_queryset(self, request, queryset):
        return queryset.filter(pk__in=consultancies_of(principal_of(request)).values("pk"))

    def object_actions(self, request, obj):
        principal = principal_of(request)
        if consultancies_managed_by(principal, Action.MANAGE_ACCESS).filter(pk=obj.pk).exists():
            return frozenset({Action.READ, Action.MANAGE_ACCESS})
        if consultancies_of(principal).filter(pk=obj.pk).exists():
            return frozenset({Action.READ})
        return frozenset()

    def may_on_some(self, request, action):
        if action == Action.READ:
            return self.is_member(request)
        return super().may_on_some(request, action)

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["slug"]

    def save_model(self, request, obj, form, change):
        if not change:  # operators only: a new consultancy has no owner yet to act for
            super().save_model(request, obj, form, change)
            return
        stored = Consultancy.objects.get(pk=obj.pk)
        fields = {
            name: form.cleaned_data[name]
            for name in CONSULTANCY_FIELDS
            if name in form.cleaned_data
        }
        saved = consultancy_update(consultancy=stored, actor=principal_of(request), **fields)
        adopt_saved(obj, saved)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Client)
class ClientAdmin(TenantScopedAdmin):
    client_path = ""
    change_action = add_action = Action.MANAGE_CLIENTS
    list_display = ["name", "consultancy", "industry", "status", "updated_at", "hub"]
    list_filter = ["status"]
    list_select_related = ["consultancy"]
    search_fields = ["name", "slug", "industry"]
    fields = ["consultancy", *CLIENT_FIELDS]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description=_("hub"))
    def hub(self, obj):
        """The client's hub in the workspace (the site adds the page)."""
        url = reverse("admin:client_hub", kwargs={"client_id": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("Open the hub"))

    def get_readonly_fields(self, request, obj=None):
        return ["consultancy"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # Deleting a client deletes its history; consultancies archive instead.
        return request.user.is_superuser

    def response_add(self, request, obj, post_url_continue=None):
        if "_addanother" in request.POST or "_continue" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        # A new client's next step is its hub: start a plan, invite its people, import data.
        self.message_user(request, _("The client “%(client)s” was added.") % {"client": obj})
        return redirect(hub_or(request, obj, reverse("admin:clients_client_changelist")))

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in CLIENT_FIELDS}
        if change:
            stored = Client.objects.get(pk=obj.pk)
            client_update(client=stored, actor=principal_of(request), **fields)
        else:
            created = client_create(
                consultancy=form.cleaned_data["consultancy"], actor=principal_of(request), **fields
            )
            adopt_saved(obj, created)


# --- people -----------------------------------------------------------------------------------


class _PersonForm(forms.ModelForm):
    """Adds a person by e-mail: an existing user is reused, a new one sets a password by reset."""

    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Full name"), required=False)


class _MembershipAdmin(ConsultancyScopedAdmin):
    """A person's role in a consultancy or a client: added by e-mail, changed, removed — each
    through the service, so each lands in the audit log."""

    scope_field: str  # "consultancy" or "client"
    list_filter = ["role"]

    def set_member(self, scope, user, role, actor):
        raise NotImplementedError

    def remove_member(self, membership, actor):
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.AddForm
            kwargs["fields"] = self.get_fields(request, obj)
        else:
            kwargs["fields"] = ["role"]  # who and where stay; only the role changes
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["user", self.scope_field] if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return [self.scope_field, "email", "full_name", "role"]
        return ["user", self.scope_field, "role"]

    def save_model(self, request, obj, form, change):
        if change:
            user, scope = obj.user, getattr(obj, self.scope_field)
        else:
            scope = form.cleaned_data[self.scope_field]
            user = user_get_or_create(
                email=form.cleaned_data["email"], full_name=form.cleaned_data["full_name"]
            )
        saved = self.set_member(scope, user, form.cleaned_data["role"], principal_of(request))
        adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        self.remove_member(obj, principal_of(request))

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            self.delete_model(request, membership)


@admin.register(ConsultancyMembership)
class ConsultancyMembershipAdmin(_MembershipAdmin):
    scope_field = "consultancy"
    list_display = ["user", "consultancy", "role", "created_at"]
    list_select_related = ["user", "consultancy"]
    search_fields = ["user__email", "user__full_name"]

    class AddForm(_PersonForm):
        class Meta:
            model = ConsultancyMembership
            fields = ["consultancy", "email", "full_name", "role"]

    def set_member(self, scope, user, role, actor):
        return consultancy_member_set(consultancy=scope, user=user, role=role, actor=actor)

    def remove_member(self, membership, actor):
        consultancy_member_remove(membership=membership, actor=actor)


@admin.register(ClientMembership)
class ClientMembershipAdmin(_MembershipAdmin):
    scope_field = "client"
    consultancy_path = "client__consultancy"
    list_display = ["user", "client", "role", "created_at"]
    list_select_related = ["user", "client"]
    search_fields = ["user__email", "client__name"]

    class AddForm(_PersonForm):
        class Meta:
            model = ClientMembership
            fields = ["client", "email", "full_name", "role"]

    def set_member(self, scope, user, role, actor):
        return client_member_set(client=scope, user=user, role=role, actor=actor)

    def remove_member(self, membership, actor):
        client_member_remove(membership=membership, actor=actor)


@admin.register(ClientAssignment)
class ClientAssignmentAdmin(ConsultancyScopedAdmin):
    consultancy_path = "client__consultancy"
    list_display = ["user", "client", "created_at"]
    list_select_related = ["user", "client"]
    search_fields = ["user__email", "client__name"]
    fields = ["client", "user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            managed = consultancies_managed_by(principal_of(request), Action.MANAGE_ACCESS)
            kwargs["queryset"] = User.objects.filter(
                consultancy_memberships__consultancy__in=managed,
                consultancy_memberships__role=ConsultancyMembership.Role.CONSULTANT,
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        saved = client_assign(client=obj.client, user=obj.user, actor=principal_of(request))
        adopt_saved(obj, saved)


# --- keys and the audit log -------------------------------------------------------------------


@admin.register(ApiKey)
class ApiKeyAdmin(ConsultancyScopedAdmin):
    list_display = [
        "name",
        "key_prefix",
        "consultancy",
        "client",
        "scopes",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["scopes"]
    list_select_related = ["consultancy", "client"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    @admin.display(description=_("key"))
    def key_prefix(self, obj):
        return f"wp_{obj.prefix}_…"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["consultancy", "client", "name", "scopes", "expires_at"]
        return [
            "name",
            "key_prefix",
            "consultancy",
            "client",
            "scopes",
            "created_by",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # A key is never edited; it is revoked (an action) and a new one made.
        return obj is None and super().has_change_permission(request)

    def has_revoke_permission(self, request):
        return super().has_change_permission(request)

    def save_model(self, request, obj, form, change):
        key, plain = api_key_create(
            consultancy=form.cleaned_data["consultancy"],
            client=form.cleaned_data["client"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data["expires_at"],
            actor=principal_of(request),
        )
        adopt_saved(obj, key)
        messages.warning(
            request, _("Copy the key now; it is not shown again: %(key)s") % {"key": plain}
        )

    @admin.action(description=_("Revoke the selected keys"), permissions=["revoke"])
    def revoke(self, request, queryset):
        for key in queryset.select_related("consultancy", "client"):
            api_key_revoke(api_key=key, actor=principal_of(request))

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # revoked keys stay, so the audit log can name them


DECIMAL_TEXT = re.compile(r"-?[0-9]+\.[0-9]+")


def _shown(value, limit: int = 400) -> str:
    """A logged value as a person reads it: an object as its fields (``key: visits · must:
    300``, ids left out), a list by its items, decimals without their padding."""
    if value is MISSING:
        return "–"
    if isinstance(value, dict):
        fields = (
            f"{name}: ({_shown(item, limit)})"
            if isinstance(item, dict)
            else f"{name}: {_shown(item, limit)}"
            for name, item in value.items()
            if name != "id"
        )
        return _cut(" · ".join(fields), limit)
    if isinstance(value, list):
        return _cut(", ".join(_shown(item, limit) for item in value), limit)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str) and DECIMAL_TEXT.fullmatch(value):
        return value.rstrip("0").rstrip(".")  # decimals are logged with six places: 500.000000
    return "–" if value is None else str(value)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(TenantScopedAdmin):
    """Who changed what and when, read-only: each entry with the fields it changed, before and
    after."""

    list_display = ["at", "actor_label", "action_shown", "object_repr", "client", "consultancy"]
    list_filter = ["action"]
    list_select_related = ["client", "consultancy"]
    search_fields = ["actor_label", "object_repr", "action"]
    date_hierarchy = "at"
    fields = [
        "at",
        "actor_label",
        "action_shown",
        "object_repr",
        "client",
        "consultancy",
        "changes_shown",
    ]
    readonly_fields = fields

    @admin.display(description=_("action"), ordering="action")
    def action_shown(self, obj):
        return audit_action_label(obj.action)

    @admin.display(description=_("what changed"))
    def changes_shown(self, obj):
        found = changes(obj.before, obj.after)
        if not found:
            return _("Nothing differs between before and after.")
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td></tr>",
            ((c.path or "–", _shown(c.before), _shown(c.after)) for c in found),
        )
        return format_html(
            "<table class='wp-table audit-changes'><thead><tr><th scope='col'>{}</th>"
            "<th scope='col'>{}</th><th scope='col'>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("field"),
            _("before"),
            _("after"),
            rows,
        )

    def scope_queryset(self, request, queryset):
        principal = principal_of(request)
        managed = consultancies_managed_by(principal, Action.MANAGE_ACCESS)
        return queryset.filter(consultancy__in=managed) | queryset.filter(
            client__in=clients_visible_to(principal)
        )

    def object_actions(self, request, obj):
        visible = self.get_queryset(request).filter(pk=obj.pk).exists()
        return frozenset({Action.READ}) if visible else frozenset()

    def may_on_some(self, request, action):
        return action == Action.READ

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin:
    """Rows written by the system (jobs, computed results): shown, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    """Recomputes and other long work of the clients a member may see (platform-wide jobs, such
    as the nightly round, to superusers only): what it is, how far it got, what went wrong and
    how long it took."""

    list_display = [
        "created_at",
        "what",
        "client",
        "status_shown",
        "progress_shown",
        "attempts",
        "took",
        "error_line",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["client"]
    search_fields = ["kind", "client__name", "error"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["what", "client", "requested_by", "parameters"]}),
        (_("Progress"), {"fields": ["status_shown", "progress_shown", "attempts", "error"]}),
        (
            _("Timing"),
            {
                "fields": [
                    "created_at",
                    "enqueued_at",
                    "started_at",
                    "finished_at",
                    "heartbeat_at",
                    "took",
                ]
            },
        ),
    ]
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]

    @admin.display(description=_("job"), ordering="kind")
    def what(self, obj):
        return job_kind_label(obj.kind)

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, obj):
        icons = {"queued": "…", "running": "▶", "succeeded": "✓", "failed": "✕"}
        return format_html(
            '<span class="job-status job-status-{}">{} {}</span>',
            obj.status,
            icons.get(obj.status, ""),
            obj.get_status_display(),
        )

    @admin.display(description=_("progress"))
    def progress_shown(self, obj):
        return format_html(
            '<progress max="100" value="{}" aria-label="{}%"></progress> {}%',
            obj.progress,
            obj.progress,
            obj.progress,
        )

    @admin.display(description=_("took"))
    def took(self, obj):
        if obj.started_at is None or obj.finished_at is None:
            return "–"
        seconds = (obj.finished_at - obj.started_at).total_seconds()
        if seconds < 60:
            return _("%(seconds).1f s") % {"seconds": seconds}
        return _("%(minutes)d min %(seconds)d s") % {
            "minutes": seconds // 60,
            "seconds": seconds % 60,
        }

    @admin.display(description=_("error"))
    def error_line(self, obj):
        return obj.error.splitlines()[0][:120] if obj.error else ""

    @admin.display(description=_("parameters"))
    def parameters(self, obj):
        if not obj.params:
            return "–"
        return format_html_join(
            "",
            "<div><strong>{}</strong>: {}</div>",
            ((name, _shown(value)) for name, value in sorted(obj.params.items())),
        )
