"""The consultants' admin for plans: the plan's own fields, its KPIs, milestones and funnels,
new plans from a template and the "apply template" action.

Django has no nested inlines, and a plan nests two levels deep (milestones with their conditions,
funnels with their stages). Rather than a nested-inline package, which would save row by row past
the document checker, the plan has two editing pages, both checked by ``plans.document`` exactly
like the API and written by ``plan_replace`` (PUT semantics: KPIs, milestones and funnels are
matched by key, so their ids and achievements survive an edit):

- "Edit KPIs, milestones and funnels" (``plans.admin_tables``): five inline tables, where a
  condition names its milestone and a stage its funnel by key;
- "Edit document": the same document as the JSON the API takes.

The change page edits the plan's own fields through ``plan_update`` (PATCH semantics) and shows
the document read-only. Every write goes through ``plans.services``, so it is in the audit log
with the document before and after, and marks the client's results stale.
"""

import json
from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clients.admin import ReadOnlyAdminMixin
from clients.admin_scoping import ServiceFormMixin, TenantScopedAdmin, principal_of
from clients.models import Client
from clients.parsers import loads_exact
from clients.principals import Action
from clients.selectors import client_actions, clients_with_action
from clients.services import job_create
from plans import services
from plans.admin_tables import Tables
from plans.document import DocumentInvalid
from plans.models import Plan, ScorecardSnapshot
from plans.plan_templates import TEMPLATES
from plans.selectors import (
    document_as_input,
    plan_catalogue,
    plan_document,
    plan_with_document,
)


def _problems(exc: DocumentInvalid) -> list[str]:
    return [f"{where}: {message}" if where else str(message) for where, message in exc.errors]


# --- the plan's own fields ----------------------------------------------------------------------


class PlanForm(forms.ModelForm):
    """Saves through ``plan_update`` while validating (like ``metrics.admin.MetricForm``), so
    that what the document checker refuses — a milestone left outside the plan's dates, say —
    is a form error and nothing is written. ``save_model`` only adopts the saved row."""

    actor = None  # the Principal; set by PlanAdmin.get_form on the class it builds per request

    class Meta:
        model = Plan
        fields = list(services.PLAN_FIELDS)

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        stored = Plan.objects.select_related("client__consultancy").get(pk=self.instance.pk)
        changed = [name for name in services.PLAN_FIELDS if name in self.changed_data]
        if not changed:
            self.saved = stored
            return
        fields = {name: self._as_raw(self.cleaned_data[name]) for name in changed}
        try:
            self.saved = services.plan_update(plan=stored, fields=fields, actor=self.actor)
        except DocumentInvalid as exc:
            for where, message in exc.errors:
                if where in self.fields:
                    self.add_error(where, message)
                else:
                    self.add_error(None, f"{where}: {message}" if where else message)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                self.add_error(None, exc)
                return
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)

    @staticmethod
    def _as_raw(value):
        # The document checker reads dates as the API sends them: YYYY-MM-DD text.
        return value.isoformat() if isinstance(value, date) else value


# --- the document as editable JSON --------------------------------------------------------------


def _number(value: Decimal):
    """A stored decimal as a JSON number, exactly: an int when whole, a float when the float
    says the same, else text (which the checker reads as a number too)."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else str(value.normalize())


def editable_document(plan: Plan) -> dict:
    """``plan_document`` as input again, JSON-ready: no ids, dates as text, decimals as numbers."""
    return document_as_input(plan_document(plan), number=_number)


class PlanDocumentForm(forms.Form):
    document = forms.CharField(
        label=capfirst(_("document")),
        widget=forms.Textarea(attrs={"rows": 40, "cols": 100, "class": "vLargeTextField"}),
        help_text=_(
            "The whole plan as the API takes it. KPIs, milestones and funnels are matched by key: "
            "keep a key to keep its history; a key left out is deleted."
        ),
    )

    def clean_document(self):
        text = self.cleaned_data["document"]
        try:
            # Numbers as exact decimals, as the API's parser reads them.
            return loads_exact(text)
        except ValueError as exc:
            raise ValidationError(
                _("This is not valid JSON: %(error)s"), params={"error": exc}, code="json"
            ) from exc


# --- a new plan from a template -----------------------------------------------------------------


class ApplyTemplateForm(forms.Form):
    """Which template, in which language: the "apply template" action's question."""

    template = forms.ChoiceField(label=capfirst(_("template")))
    language = forms.ChoiceField(
        label=capfirst(_("language")), choices=[("ja", _("Japanese")), ("en", _("English"))]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        japanese = (get_language() or "").startswith("ja")
        self.fields["template"].choices = [
            (key, template.name_ja if japanese else template.name)
            for key, template in TEMPLATES.items()
        ]
        self.fields["language"].initial = "ja" if japanese else "en"


class PlanFromTemplateForm(ApplyTemplateForm):
    field_order = ["client", "template", "starts_on", "language", "status"]
    client = forms.ModelChoiceField(label=capfirst(_("client")), queryset=Client.objects.none())
    starts_on = forms.DateField(
        label=capfirst(_("starts on")),
        help_text=_("The plan runs twelve months from here; baselines are the month before."),
    )
    status = forms.ChoiceField(
        label=capfirst(_("status")),
        choices=[(Plan.Status.DRAFT, Plan.Status.DRAFT.label), (Plan.Status.ACTIVE, _("Active"))],
        initial=Plan.Status.DRAFT,
        help_text=_("Activating this plan archives the client's active plan."),
    )

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients
        self.fields["starts_on"].initial = timezone.localdate().replace(day=1)


# --- the admin ----------------------------------------------------------------------------------


@admin.register(Plan)
class PlanAdmin(ServiceFormMixin, TenantScopedAdmin):
    """Members read their clients' plans; those with write on the client edit them. A plan is
    created from a template (the "from template" page) or through the API."""

    client_path = "client"
    form = PlanForm
    list_display = ["name", "client", "status", "starts_on", "ends_on"]
    list_filter = ["status", ("client", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["client"]
    search_fields = ["name", "client__name"]
    fieldsets = [
        (None, {"fields": ["client", *services.PLAN_FIELDS]}),
        (_("Document"), {"fields": ["document_summary"]}),
    ]
    readonly_fields = ["client", "document_summary"]
    change_form_template = "admin/plans/plan/change_form.html"
    change_list_template = "admin/plans/plan/change_list.html"
    document_template = "admin/plans/plan/document.html"
    tables_template = "admin/plans/plan/tables.html"
    apply_template_template = "admin/plans/plan/apply_template.html"
    from_template_template = "admin/plans/plan/from_template.html"

    # --- rights ---------------------------------------------------------------------------------

    def has_add_permission(self, request):
        return False  # a plan starts from a template (the "from template" page) or the API

    def may_write_plan(self, request, plan) -> bool:
        if request.user.is_superuser:
            return True
        return Action.WRITE in client_actions(principal_of(request), plan.client)

    def may_create(self, request) -> bool:
        return request.user.is_superuser or (
            self.is_member(request) and self.may_on_some(request, Action.WRITE)
        )

    # --- the "apply template" action ------------------------------------------------------------

    actions = ["apply_template"]

    @admin.action(description=_("Apply a template to the selected plans"))
    def apply_template(self, request, queryset):
        """Replace the KPIs, milestones and funnels of each selected plan with a template's,
        dated from the plan's own start; the plan's own fields stay. Keys the template shares
        with the plan keep their history. Each plan is checked and saved on its own."""
        form = ApplyTemplateForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._page(
                request,
                self.apply_template_template,
                _("Apply a template"),
                form=form,
                plans=queryset,
                action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
                media=self.media + form.media,
            )
        template = TEMPLATES[form.cleaned_data["template"]]
        for plan in queryset.select_related("client__consultancy"):
            if not self.may_write_plan(request, plan):
                messages.error(
                    request,
                    _("You may not change “%(plan)s”; it was left as it was.") % {"plan": plan},
                )
                continue
            stored = document_as_input(
                plan_document(plan_with_document(client=plan.client).get(pk=plan.pk))
            )
            raw = template.document(
                starts_on=plan.starts_on, language=form.cleaned_data["language"], status=plan.status
            )
            raw.update({name: stored[name] for name in services.PLAN_FIELDS})
            try:
                services.plan_replace(plan=plan, raw=raw, actor=principal_of(request))
            except DocumentInvalid as exc:
                messages.error(
                    request,
                    _("“%(plan)s” was left as it was: %(problems)s")
                    % {"plan": plan, "problems": "; ".join(_problems(exc))},
                )
            else:
                messages.success(
                    request,
                    _("“%(template)s” was applied to “%(plan)s”.")
                    % {"template": form.cleaned_data["template"], "plan": plan},
                )
        return None

    # --- deleting goes through the service too (audit log, stale results) -----------------------

    def delete_model(self, request, obj):
        services.plan_delete(plan=obj, actor=principal_of(request))

    def delete_queryset(self, request, queryset):
        for plan in queryset.select_related("client__consultancy"):
            services.plan_delete(plan=plan, actor=principal_of(request))

    # --- the change page ------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "may_edit_document": False}
        plan = self.get_object(request, object_id)
        if plan is not None:
            extra_context["may_edit_document"] = self.may_write_plan(request, plan)
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_create": self.may_create(request)}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("document"))
    def document_summary(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        plan = plan_with_document(client=obj.client).get(pk=obj.pk)
        document = plan_document(plan)
        return format_html(
            "<h4>{}</h4>{}<h4>{}</h4>{}<h4>{}</h4>{}",
            _("KPIs"),
            self._kpi_table(document["kpis"]),
            _("Milestones"),
            self._milestone_table(document["milestones"]),
            _("Funnels"),
            self._funnel_tables(document["funnels"]),
        )

    @staticmethod
    def _table(headers, rows):
        """rows: tuples of already-escaped cells (SafeStrings from format_html) or plain text."""
        if not rows:
            return format_html("<p>{}</p>", _("None"))
        head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
        )
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)

    @staticmethod
    def _show(value):
        if value is None or value == "":
            return "–"
        if isinstance(value, Decimal):
            return _number(value)
        return value

    def _kpi_table(self, kpis):
        show = self._show
        return self._table(
            [
                _("key"),
                _("metric"),
                _("parent"),
                _("weight"),
                _("baseline"),
                _("must"),
                _("stretch"),
                _("target period"),
                _("interpolation"),
                _("formula"),
            ],
            [
                (
                    kpi["key"],
                    kpi["metric"],
                    show(kpi["parent"]),
                    show(kpi["weight"]),
                    f"{kpi['baseline']['period']}: {show(kpi['baseline']['value'])}",
                    show(kpi["must"]),
                    show(kpi["stretch"]),
                    kpi["target_period"],
                    kpi["interpolation"],
                    show(kpi["formula"]),
                )
                for kpi in kpis
            ],
        )

    def _milestone_table(self, milestones):
        show = self._show
        return self._table(
            [_("key"), _("name"), _("due"), _("kind"), _("achieved on"), _("conditions")],
            [
                (
                    milestone["key"],
                    milestone["name"],
                    milestone["due"],
                    milestone["kind"],
                    show(milestone["achieved_on"]),
                    format_html_join(
                        "",
                        "<div>{} {} {}{}</div>",
                        (
                            (
                                condition["metric"],
                                "≥" if condition["op"] == "gte" else "≤",
                                show(condition["value"]),
                                format_html(" ({})", _("cumulative"))
                                if condition["cumulative"]
                                else "",
                            )
                            for condition in milestone["conditions"]
                        ),
                    )
                    or "–",
                )
                for milestone in milestones
            ],
        )

    def _funnel_tables(self, funnels):
        show = self._show
        if not funnels:
            return format_html("<p>{}</p>", _("None"))
        return format_html_join(
            "",
            "<h5>{} ({})</h5>{}",
            (
                (
                    funnel["name"],
                    funnel["key"],
                    self._table(
                        [_("stage"), _("metric"), _("target conversion")],
                        [
                            (stage["name"], stage["metric"], show(stage["target_conversion"]))
                            for stage in funnel["stages"]
                        ],
                    ),
                )
                for funnel in funnels
            ),
        )

    # --- custom pages ---------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        site = self.admin_site
        # Before the default patterns: "<path:object_id>/" would take these too.
        return [
            path(
                "from-template/",
                site.admin_view(self.from_template_view),
                name=f"{prefix}_from_template",
            ),
            path(
                "<uuid:plan_id>/document/",
                site.admin_view(self.document_view),
                name=f"{prefix}_document",
            ),
            path(
                "<uuid:plan_id>/tables/",
                site.admin_view(self.tables_view),
                name=f"{prefix}_tables",
            ),
            *super().get_urls(),
        ]

    def _url(self, name, *args):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    def _page(self, request, template, title, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                **context,
            },
        )

    def _writable_plan(self, request, plan_id) -> Plan:
        plan = self.get_queryset(request).select_related("client__consultancy").filter(pk=plan_id)
        plan = plan.first()
        if plan is None:
            raise Http404  # outside the user's scope: do not say whether it exists
        if not self.may_write_plan(request, plan):
            raise PermissionDenied
        return plan

    def tables_view(self, request, plan_id):
        plan = self._writable_plan(request, plan_id)
        stored = editable_document(plan_with_document(client=plan.client).get(pk=plan.pk))
        metrics = sorted(plan_catalogue(client=plan.client))
        tables = Tables.build(
            document=stored,
            metrics=metrics,
            data=request.POST if request.method == "POST" else None,
        )
        if request.method == "POST" and tables.is_valid():
            raw = tables.document(stored)
            if not tables.has_row_errors():
                try:
                    services.plan_replace(plan=plan, raw=raw, actor=principal_of(request))
                except DocumentInvalid as exc:
                    tables.place(exc.errors)
                else:
                    messages.success(
                        request,
                        _("The KPIs, milestones and funnels of “%(plan)s” were saved.")
                        % {"plan": plan},
                    )
                    return redirect(self._url("change", plan.pk))
        media = self.media
        for _title, formset, _name in tables.sections():
            media += formset.media
        return self._page(
            request,
            self.tables_template,
            _("KPIs, milestones and funnels of “%(plan)s”") % {"plan": plan},
            original=plan,
            tables=tables,
            change_url=self._url("change", plan.pk),
            media=media,
        )

    def document_view(self, request, plan_id):
        plan = self._writable_plan(request, plan_id)
        problems = []
        if request.method == "POST":
            form = PlanDocumentForm(request.POST)
            if form.is_valid():
                try:
                    services.plan_replace(
                        plan=plan, raw=form.cleaned_data["document"], actor=principal_of(request)
                    )
                except DocumentInvalid as exc:
                    problems = _problems(exc)
                else:
                    messages.success(
                        request, _("The document of “%(plan)s” was saved.") % {"plan": plan}
                    )
                    return redirect(self._url("change", plan.pk))
        else:
            stored = plan_with_document(client=plan.client).get(pk=plan.pk)
            text = json.dumps(editable_document(stored), ensure_ascii=False, indent=2)
            form = PlanDocumentForm(initial={"document": text})
        return self._page(
            request,
            self.document_template,
            _("Edit the document of “%(plan)s”") % {"plan": plan},
            original=plan,
            form=form,
            problems=problems,
            change_url=self._url("change", plan.pk),
            media=self.media + form.media,
        )

    def from_template_view(self, request):
        if not self.may_create(request):
            raise PermissionDenied
        clients = (
            Client.objects.all()
            if request.user.is_superuser
            else clients_with_action(principal_of(request), Action.WRITE)
        )
        form = PlanFromTemplateForm(request.POST or None, clients=clients.order_by("name"))
        problems = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            raw = TEMPLATES[data["template"]].document(
                starts_on=data["starts_on"], language=data["language"], status=data["status"]
            )
            try:
                plan = services.plan_create(
                    client=data["client"], raw=raw, actor=principal_of(request)
                )
            except DocumentInvalid as exc:
                problems = _problems(exc)
            else:
                messages.success(request, _("The plan “%(plan)s” was created.") % {"plan": plan})
                return redirect(self._url("change", plan.pk))
        return self._page(
            request,
            self.from_template_template,
            _("New plan from a template"),
            form=form,
            problems=problems,
            media=self.media + form.media,
        )


# --- computed results ---------------------------------------------------------------------------


@admin.register(ScorecardSnapshot)
class ScorecardSnapshotAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    """The stored scorecards, month by month; the action queues a recompute."""

    list_display = [
        "client",
        "plan",
        "month",
        "score",
        "health",
        "off_track",
        "at_risk",
        "bottleneck",
        "computed_at",
    ]
    list_filter = ["health", ("client", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["client", "plan"]
    search_fields = ["client__name", "plan__name"]
    exclude = ["payload"]
    readonly_fields = ["lines_table"]
    actions = ["recompute"]

    @admin.display(description=_("month"), ordering="period_start")
    def month(self, obj):
        return f"{obj.period_start:%Y-%m}"

    @admin.display(description=_("lines"))
    def lines_table(self, obj):
        show = PlanAdmin._show
        return PlanAdmin._table(
            [_("KPI"), _("actual"), _("must"), _("stretch"), _("attainment"), _("status")],
            [
                (
                    line["kpi"],
                    show(line["actual"]),
                    show(line["must_target"]),
                    show(line["stretch_target"]),
                    show(line["attainment"]),
                    line["status"],
                )
                for line in obj.payload["lines"]
            ],
        )

    @admin.action(description=_("Recompute the selected months now"))
    def recompute(self, request, queryset):
        principal = principal_of(request)
        queued = 0
        for snapshot in queryset.select_related("client"):
            if not request.user.is_superuser and Action.WRITE not in client_actions(
                principal, snapshot.client
            ):
                continue
            job_create(
                kind="scorecard_recompute",
                client=snapshot.client,
                params={"period": f"{snapshot.period_start:%Y-%m}", "force": True},
                actor=principal,
            )
            queued += 1
        messages.info(request, _("%(count)d recomputes queued.") % {"count": queued})
