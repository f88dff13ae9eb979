"""The consultants' admin for metrics: the catalogue, measurements, their history and the import.

Every class goes through ``clients.admin_scoping``. Metrics are written through
``metrics.services`` (formula checks, the audit log, stale clients); measurements change only
through the API or the import page here, which calls ``measurements_import``.
"""

import base64
import hashlib

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import FileExtensionValidator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminFileFieldWidget

from clients.admin_scoping import (
    ConsultancyScopedAdmin,
    ServiceFormMixin,
    TenantScopedAdmin,
    hub_or,
    per_request,
    principal_of,
)
from clients.models import Client
from clients.principals import Action
from clients.problem_words import line_problem_text, problem_text
from clients.selectors import clients_with_action, consultancies_managed_by, consultancy_actions
from metrics import display, services
from metrics.importing import ImportFileError
from metrics.models import Measurement, MeasurementHistory, Metric
from metrics.periods import Granularity, Period
from metrics.selectors import metric_catalogue_for, metrics_for_client

# --- the metric catalogue -----------------------------------------------------------------------


class MetricForm(forms.ModelForm):
    """Saves through ``metric_create``/``metric_update`` while validating, so that what the
    service refuses (an unknown key in a formula, a cycle, a built-in's key) is a form error.

    The write happens in ``_post_clean``, after the model's own checks: the admin runs the
    whole change view in one transaction, and ``save_model`` only adopts the saved row."""

    actor = None  # the Principal; set by MetricAdmin.get_form on the class it builds per request

    class Meta:
        model = Metric
        fields = ["consultancy", *services.METRIC_FIELDS]

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        fields = {name: self.cleaned_data[name] for name in services.METRIC_FIELDS}
        try:
            if self.instance.pk is None:
                self.saved = services.metric_create(
                    consultancy=self.cleaned_data["consultancy"], actor=self.actor, **fields
                )
            else:
                stored = Metric.objects.select_related("consultancy").get(pk=self.instance.pk)
                self.saved = services.metric_update(metric=stored, actor=self.actor, **fields)
        except ValidationError as exc:
            self._add_service_errors(exc)

    def _add_service_errors(self, error: ValidationError):
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)


@admin.register(Metric)
class MetricAdmin(ServiceFormMixin, ConsultancyScopedAdmin):
    """Members read the built-in metrics and their consultancies' own; owners and managers add
    and edit their consultancies' own. Built-in metrics come from ``metrics.catalogue`` and are
    read-only here for everyone (``metric_update`` refuses them)."""

    form = MetricForm
    view_action = Action.READ
    change_action = add_action = Action.MANAGE_CLIENTS
    list_display = ["key", "name", "name_ja", "unit", "aggregation", "formula", "belongs_to"]
    list_filter = ["unit", "aggregation", ("consultancy", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["consultancy"]
    search_fields = ["key", "name", "name_ja"]
    fields = ["consultancy", *services.METRIC_FIELDS]

    @admin.display(
        description=_("consultancy"), ordering="consultancy__name", empty_value=_("built-in")
    )
    def belongs_to(self, obj):
        return obj.consultancy

    # --- rows and rights ------------------------------------------------------------------------

    def scope_queryset(self, request, queryset):
        return queryset.filter(pk__in=metric_catalogue_for(principal_of(request)).values("pk"))

    def object_actions(self, request, obj):
        if obj.is_builtin:
            return frozenset({Action.READ}) if self.is_member(request) else frozenset()
        return consultancy_actions(principal_of(request), obj.consultancy)

    def may_on_some(self, request, action):
        if action == Action.READ:
            return self.is_member(request)
        return per_request(
            request,
            ("consultancies", action),
            lambda: consultancies_managed_by(principal_of(request), action).exists(),
        )

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_builtin:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Measurements and formulas name metrics; only the platform's operators remove one.
        return request.user.is_superuser

    # --- the form -------------------------------------------------------------------------------

    def get_readonly_fields(self, request, obj=None):
        return ["consultancy"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "consultancy":
            kwargs["required"] = True  # built-in metrics come from the catalogue, not from here
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "consultancy" and not request.user.is_superuser:
            field.queryset = consultancies_managed_by(principal_of(request), self.add_action)
        return field


# --- measurements -------------------------------------------------------------------------------


MAX_IMPORT_BYTES = 5 * 1024 * 1024  # the preview sends it back as base64: within the POST limit
IMPORT_SALT = "waypoint.metrics.import"
IMPORT_TOKEN_MAX_AGE = 3600  # seconds a preview may be committed in


class ImportCommitForm(forms.Form):
    """The file a person saw previewed, sent back to be written, with a signed token that ties
    it to the client, the file's name and its bytes: a forged or altered form is refused."""

    client = forms.CharField(widget=forms.HiddenInput)
    filename = forms.CharField(max_length=255, widget=forms.HiddenInput)
    content = forms.CharField(widget=forms.HiddenInput)
    token = forms.CharField(widget=forms.HiddenInput)

    @classmethod
    def for_preview(cls, client: Client, filename: str, content: bytes):
        fingerprint = {"c": str(client.pk), "f": filename, "h": _sha256(content)}
        return cls(
            initial={
                "client": client.pk,
                "filename": filename,
                "content": base64.b64encode(content).decode(),
                "token": signing.dumps(fingerprint, salt=IMPORT_SALT),
            }
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            content = base64.b64decode(data["content"], validate=True)
            signed = signing.loads(data["token"], salt=IMPORT_SALT, max_age=IMPORT_TOKEN_MAX_AGE)
        except (ValueError, signing.BadSignature) as exc:
            raise ValidationError(self.came_back_wrong) from exc
        if signed != {"c": data["client"], "f": data["filename"], "h": _sha256(content)}:
            raise ValidationError(self.came_back_wrong)
        data["content"] = content
        return data

    came_back_wrong = _(
        "The preview has expired or the file did not come back whole; upload it again."
    )


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class MeasurementImportForm(forms.Form):
    client = forms.ModelChoiceField(label=capfirst(_("client")), queryset=Client.objects.none())
    file = forms.FileField(
        label=capfirst(_("file")),
        validators=[FileExtensionValidator(["csv", "xlsx", "xlsm"])],
        widget=UnfoldAdminFileFieldWidget,
        help_text=_(
            "CSV (UTF-8 or Shift_JIS) or XLSX. Line 1 is the header metric,period,value[,source]; "
            "periods are text: 2026-09-15, 2026-W38, 2026-09, 2026-Q3 or 2026. All or nothing: "
            "if any line is bad, nothing is written."
        ),
    )

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                _("The file is larger than %(size)d MB: split it into smaller files."),
                params={"size": MAX_IMPORT_BYTES // (1024 * 1024)},
            )
        return upload


class _ReadOnlyMeasurementsAdmin(TenantScopedAdmin):
    client_path = "client"
    list_filter = ["granularity"]
    search_fields = ["metric__key"]

    @admin.display(description=_("metric"), ordering="metric__key")
    def metric_key(self, obj):
        return f"{obj.metric.display_name} ({obj.metric.key})"

    @admin.display(description=_("period"), ordering="period_start")
    def period_label(self, obj):
        return display.period(
            Period(Granularity(obj.granularity), obj.period_start), get_language()
        )

    def _value(self, obj, value):
        return display.exact_value(value, obj.metric.unit, obj.client.currency, get_language())


@admin.register(Measurement)
class MeasurementAdmin(_ReadOnlyMeasurementsAdmin):
    """Read-only: values change through the API or the import page, whose writes keep history
    and mark the client stale. The import needs write on some client."""

    list_display = ["client", "metric_key", "period_label", "value_shown", "source", "updated_at"]
    list_select_related = ["client", "metric"]

    @admin.display(description=_("value"), ordering="value")
    def value_shown(self, obj):
        return self._value(obj, obj.value)

    ordering = ["-period_start", "metric__key"]
    change_list_template = "admin/metrics/measurement/change_list.html"
    import_template = "admin/metrics/measurement/import.html"
    imported_message = _(
        "%(client)s: created %(created)d, updated %(updated)d, unchanged %(unchanged)d."
    )

    # Nobody edits values here, operators included: a change outside the upsert would skip the
    # history, the audit log and the stale mark.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- the import page ------------------------------------------------------------------------

    def may_import(self, request) -> bool:
        return request.user.is_superuser or (
            self.is_member(request) and self.may_on_some(request, Action.WRITE)
        )

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        view = self.admin_site.admin_view(self.import_view)
        # Before the default patterns: "<path:object_id>/" would take "import/" too.
        return [path("import/", view, name=name), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": self.may_import(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload a file, see what it would do (created, updated, unchanged, or every bad line
        with its reason), then commit it all or nothing."""
        if not self.may_import(request):
            raise PermissionDenied
        principal = principal_of(request)
        clients = (
            Client.objects.all()
            if request.user.is_superuser
            else clients_with_action(principal, Action.WRITE)
        ).order_by("name")
        if "commit" in request.POST:
            return self._import_commit(request, principal, clients)
        form = MeasurementImportForm(
            request.POST or None,
            request.FILES or None,
            clients=clients,
            initial={"client": request.GET.get("client")},  # from a client's hub
        )
        preview, commit = None, None
        if request.method == "POST" and form.is_valid():
            client, upload = form.cleaned_data["client"], form.cleaned_data["file"]
            content = upload.read()
            try:
                preview = services.measurements_import_preview(
                    client=client, filename=upload.name, content=content
                )
            except ImportFileError as exc:
                form.add_error("file", problem_text(str(exc), get_language()))
            else:
                if preview.lines and not preview.errors:
                    commit = ImportCommitForm.for_preview(client, upload.name, content)
        return self._import_page(request, form=form, preview=preview, commit=commit)

    def _import_commit(self, request, principal, clients):
        commit = ImportCommitForm(request.POST)
        if not commit.is_valid():
            form = MeasurementImportForm(clients=clients)
            problem = " ".join(str(error) for error in commit.non_field_errors()) or str(
                ImportCommitForm.came_back_wrong
            )
            return self._import_page(request, form=form, problem=problem, status=400)
        client = clients.filter(pk=commit.cleaned_data["client"]).first()
        if client is None:
            raise Http404  # signed for someone who may write it, but not this person
        form = MeasurementImportForm(clients=clients, initial={"client": client.pk})
        try:
            result = services.measurements_import(
                client=client,
                filename=commit.cleaned_data["filename"],
                content=commit.cleaned_data["content"],
                actor=principal,
            )
        except ImportFileError as exc:
            problem = problem_text(str(exc), get_language())
            return self._import_page(request, form=form, problem=problem, status=400)
        except services.ImportRejected as exc:
            # Something changed between preview and commit (a metric retired): show why.
            preview = services.ImportPreview([], exc.errors)
            return self._import_page(request, form=form, preview=preview)
        messages.success(request, self.imported_message % {"client": client, **result.as_dict()})
        return redirect(hub_or(request, client, reverse(f"admin:{self._changelist}")))

    @staticmethod
    def _preview_rows(form, preview):
        """Each previewed line with its metric and client, to show names and values in units."""
        if not preview or not preview.lines or not form.is_bound or not form.is_valid():
            return []
        client = form.cleaned_data["client"]
        metrics = {metric.key: metric for metric in metrics_for_client(client)}
        return [(line, metrics.get(line.metric), client) for line in preview.lines]

    @property
    def _changelist(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_changelist"

    def _import_page(self, request, *, form, preview=None, commit=None, problem="", status=200):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import measurements"),
            "form": form,
            "preview": preview,
            "preview_rows": self._preview_rows(form, preview),
            "commit": commit,
            "problem": problem,
            "bad_lines": [line_problem_text(str(error), get_language()) for error in preview.errors]
            if preview
            else [],
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.import_template, context, status=status)


@admin.register(MeasurementHistory)
class MeasurementHistoryAdmin(_ReadOnlyMeasurementsAdmin):
    """The measurements' own audit trail: scoped like them, read-only for everyone."""

    list_display = [
        "client",
        "metric_key",
        "period_label",
        "old_value_shown",
        "new_value_shown",
        "source",
        "changed_by",
        "changed_at",
    ]
    list_select_related = ["client", "metric", "changed_by_user", "changed_by_key"]
    ordering = ["-changed_at"]

    @admin.display(description=_("old value"))
    def old_value_shown(self, obj):
        return self._value(obj, obj.old_value)

    @admin.display(description=_("new value"))
    def new_value_shown(self, obj):
        return self._value(obj, obj.new_value)

    @admin.display(description=_("changed by"))
    def changed_by(self, obj):
        if obj.changed_by_key is not None:
            return f"wp_{obj.changed_by_key.prefix}_…"
        return obj.changed_by_user

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
