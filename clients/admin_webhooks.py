"""Webhooks in the admin: owners and managers add, change and remove their consultancy's
subscriptions (the secret shown once, after adding), and read the delivery log — every attempt
with what the receiver said — with an action that sends deliveries again under their ids.

Writes go through ``clients.services.webhooks``, as the API's do.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget, UnfoldAdminURLInputWidget

from clients.admin_scoping import ConsultancyScopedAdmin, adopt_saved, principal_of
from clients.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from clients.principals import Action
from clients.selectors import clients_with_action
from clients.services.webhooks import (
    receiver_address,
    webhook_create,
    webhook_delete,
    webhook_redeliver,
    webhook_update,
)

STATUS_ICONS = {"pending": "…", "succeeded": "✓", "failed": "✕"}


def event_label(event: str) -> str:
    """An event type as people read it (``ping`` and unknown types as they are)."""
    return str(dict(WebhookSubscription.Event.choices).get(event, event))


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=2000,
        assume_scheme="https",
        widget=UnfoldAdminURLInputWidget,
        help_text=_("Where deliveries are POSTed: an http(s) address the internet can reach."),
    )
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookSubscription.Event.choices,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["consultancy", "client", "url", "events", "description", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("url"):
            receiver_address(cleaned["url"])  # the service's check: a refusal names the URL
        consultancy, client = cleaned.get("consultancy"), cleaned.get("client")
        if consultancy and client and client.consultancy_id != consultancy.pk:
            self.add_error("client", _("The client belongs to another consultancy."))
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ConsultancyScopedAdmin):
    form = WebhookForm
    list_display = ["url_shown", "consultancy", "client", "events_shown", "is_active", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["consultancy", "client"]
    search_fields = ["url", "description"]

    def get_fields(self, request, obj=None):
        fields = ["consultancy", "client", "url", "events", "description", "is_active"]
        return fields if obj is None else [*fields, "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["consultancy", "client", "created_by", "created_at"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "client" and not request.user.is_superuser:
            field.queryset = clients_with_action(principal_of(request), Action.MANAGE_CLIENTS)
        return field

    @admin.display(description=_("URL"), ordering="url")
    def url_shown(self, obj):
        return obj.url_shown

    @admin.display(description=_("events"))
    def events_shown(self, obj):
        return ", ".join(str(event_label(event)) for event in obj.events)

    def save_model(self, request, obj, form, change):
        data, actor = form.cleaned_data, principal_of(request)
        if change:
            fields = ("url", "events", "description", "is_active")
            saved = webhook_update(
                subscription=WebhookSubscription.objects.get(pk=obj.pk),
                actor=actor,
                **{name: data[name] for name in fields},
            )
        else:
            saved, secret = webhook_create(
                consultancy=data["consultancy"],
                client=data["client"],
                url=data["url"],
                events=data["events"],
                description=data["description"],
                actor=actor,
            )
            messages.warning(
                request,
                _("Copy the signing secret now; it is not shown again: %(secret)s")
                % {"secret": secret},
            )
        adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        webhook_delete(subscription=obj, actor=principal_of(request))

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            self.delete_model(request, subscription)


class WebhookAttemptInline(TabularInline):
    model = WebhookAttempt
    verbose_name_plural = _("attempt log")
    hide_title = True  # each row's own title would repeat its columns
    fields = ["at", "status_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return True  # shown only inside a delivery's page, which is scoped already

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ConsultancyScopedAdmin):
    """The delivery log: read-only, with "send again"."""

    consultancy_path = "subscription__consultancy"
    list_display = [
        "created_at",
        "event_shown",
        "receiver",
        "client",
        "status_shown",
        "tries",
        "when",
    ]
    list_filter = ["status", "event_type"]
    list_select_related = ["subscription", "client"]
    search_fields = ["id", "event_id", "subscription__url", "client__name"]
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    fields = [
        "id",
        "event_id",
        "event_shown",
        "receiver",
        "client",
        "status_shown",
        "tries",
        "next_attempt_at",
        "last_status_code",
        "created_at",
        "delivered_at",
        "body_shown",
    ]
    readonly_fields = fields

    @admin.display(description=_("event"), ordering="event_type")
    def event_shown(self, obj):
        return event_label(obj.event_type)

    @admin.display(description=_("delivered or next try"))
    def when(self, obj):
        if obj.delivered_at:
            return _("delivered %(at)s") % {
                "at": date_format(localtime(obj.delivered_at), "DATETIME_FORMAT")
            }
        if obj.next_attempt_at and obj.status == WebhookDelivery.Status.PENDING:
            return _("next try %(at)s") % {
                "at": date_format(localtime(obj.next_attempt_at), "DATETIME_FORMAT")
            }
        return "–"

    @admin.display(description=_("webhook"), ordering="subscription__url")
    def receiver(self, obj):
        return obj.subscription.url_shown

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, obj):
        code = f" (HTTP {obj.last_status_code})" if obj.last_status_code else ""
        return format_html(
            '<span class="job-status job-status-{}">{} {}{}</span>',
            obj.status,
            STATUS_ICONS.get(obj.status, ""),
            obj.get_status_display(),
            code,
        )

    @admin.display(description=_("body"))
    def body_shown(self, obj):
        try:
            text = json.dumps(json.loads(obj.body), indent=2, ensure_ascii=False)
        except ValueError:
            text = obj.body
        return format_html('<pre class="webhook-body">{}</pre>', text)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_redeliver_permission(self, request):
        return super().has_view_permission(request)

    @admin.action(description=_("Send the selected deliveries again"), permissions=["redeliver"])
    def redeliver(self, request, queryset):
        deliveries = list(queryset.select_related("subscription__consultancy", "client"))
        count = webhook_redeliver(deliveries=deliveries, actor=principal_of(request))
        messages.success(request, _("%(count)d deliveries queued again.") % {"count": count})
