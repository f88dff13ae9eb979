"""The one scoping mixin every admin class of tenant data goes through.

Rows, foreign-key choices and rights come from the tenancy selectors, not from Django's model
permissions, so a consultant sees exactly what the API would show them. Superusers are the
platform's operators and see everything.
"""

import copy
from functools import reduce

from django.urls import reverse
from unfold.admin import ModelAdmin

from clients.models import Client, Consultancy, ConsultancyMembership
from clients.principals import Action, Principal
from clients.selectors import (
    client_actions,
    clients_visible_to,
    clients_with_action,
    consultancies_managed_by,
    consultancies_of,
)


def principal_of(request) -> Principal:
    return Principal(user=request.user)


def adopt_saved(obj, saved):
    """Make the admin's unsaved instance the row a service saved: admin classes write through
    services (for the audit log), and Django's admin then logs and redirects using ``obj``."""
    obj.__dict__.update({name: value for name, value in saved.__dict__.items() if name != "_state"})
    obj._state = copy.copy(saved._state)
    obj._state.fields_cache = dict(saved._state.fields_cache)


def per_request(request, key, compute):
    """Remember a rights answer for the rest of the request: the admin asks the same question
    for every model in the sidebar and every row it renders."""
    memo = request.__dict__.setdefault("_tenancy_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


class ServiceFormMixin:
    """For admin classes whose form writes through a service while it validates (so that the
    service's refusals are form errors): the form learns who acts, and the admin adopts the row
    the service saved instead of saving the instance itself."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = principal_of(request)  # modelform_factory made this class for this request
        return form

    def save_model(self, request, obj, form, change):
        adopt_saved(obj, form.saved)


class TenantScopedAdmin(ModelAdmin):
    """For models owned by a client. ``client_path`` leads from the model to its client
    (empty for ``Client`` itself)."""

    client_path = "client"
    view_action = Action.READ
    change_action = Action.WRITE
    add_action = Action.WRITE
    delete_action = Action.WRITE

    # --- rows -----------------------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return self.scope_queryset(request, queryset)

    def scope_queryset(self, request, queryset):
        visible = clients_visible_to(principal_of(request))
        if not self.client_path:
            return queryset.filter(pk__in=visible.values("pk"))
        return queryset.filter(**{f"{self.client_path}__in": visible})

    def client_of(self, obj) -> Client | None:
        if not self.client_path:
            return obj
        return reduce(getattr, self.client_path.split("__"), obj)

    def object_actions(self, request, obj) -> frozenset[Action]:
        client = self.client_of(obj)
        return client_actions(principal_of(request), client) if client else frozenset()

    # --- rights ---------------------------------------------------------------------------------

    def is_member(self, request) -> bool:
        user = request.user
        return (
            user.is_active
            and user.is_staff
            and per_request(
                request, "member", lambda: consultancies_of(principal_of(request)).exists()
            )
        )

    def has_module_permission(self, request):
        return request.user.is_superuser or self.is_member(request)

    def _may(self, request, obj, action) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return self.is_member(request) and self.may_on_some(request, action)
        return action in self.object_actions(request, obj)

    def may_on_some(self, request, action) -> bool:
        if action in (Action.MANAGE_CLIENTS, Action.MANAGE_ACCESS):
            # Consultancy-level: an owner may add the first client of an empty consultancy.
            return per_request(
                request,
                ("consultancies", action),
                lambda: consultancies_managed_by(principal_of(request), action).exists(),
            )
        return per_request(
            request,
            ("clients", action),
            lambda: clients_with_action(principal_of(request), action).exists(),
        )

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj, self.view_action)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj, self.change_action)

    def has_add_permission(self, request):
        return self._may(request, None, self.add_action)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj, self.delete_action)

    # --- choices --------------------------------------------------------------------------------

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            principal = principal_of(request)
            if db_field.related_model is Client:
                kwargs["queryset"] = clients_with_action(principal, self.add_action)
            elif db_field.related_model is Consultancy:
                kwargs["queryset"] = consultancies_managed_by(principal, Action.MANAGE_ACCESS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ConsultancyScopedAdmin(TenantScopedAdmin):
    """For rows that belong to a consultancy and are managed by its owners and managers."""

    consultancy_path = "consultancy"
    view_action = change_action = add_action = delete_action = Action.MANAGE_ACCESS

    def scope_queryset(self, request, queryset):
        managed = consultancies_managed_by(principal_of(request), Action.MANAGE_ACCESS)
        return queryset.filter(**{f"{self.consultancy_path}__in": managed})

    def object_actions(self, request, obj) -> frozenset[Action]:
        consultancy = reduce(getattr, self.consultancy_path.split("__"), obj)
        managing = ConsultancyMembership.objects.filter(
            user=request.user,
            consultancy=consultancy,
            role__in=(ConsultancyMembership.Role.OWNER, ConsultancyMembership.Role.MANAGER),
        ).exists()
        return frozenset({Action.MANAGE_ACCESS}) if managing else frozenset()

    def may_on_some(self, request, action) -> bool:
        return per_request(
            request,
            "manages",
            lambda: consultancies_managed_by(principal_of(request), Action.MANAGE_ACCESS).exists(),
        )


def hub_or(request, client: Client, fallback: str) -> str:
    """The client's hub in the workspace when the person sees the client there (a member of its
    consultancy), else ``fallback``: a superuser outside it reaches clients through the lists."""
    if clients_visible_to(principal_of(request)).filter(pk=client.pk).exists():
        return reverse("admin:client_hub", kwargs={"client_id": client.pk})
    return fallback
