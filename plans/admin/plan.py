"""The consultants' admin for plans: the plan's own fields, its KPIs, milestones and funnels,
new plans from a template and the "apply template" action.

Django has no nested inlines, and a plan nests two levels deep (milestones with their conditions,
funnels with their stages). Rather than a nested-inline package, which would save row by row past
the document checker, the plan has two editing pages, both checked by ``plans.document`` exactly
like the API and written by ``plan_replace`` (PUT semantics: KPIs, milestones and funnels are
matched by key, so their ids and achievements survive an edit):

- the plan editor (``plans.admin.editor``): the KPI tree, each milestone with its conditions
  and each funnel with its stages, metrics by name and values in their units;
- "Edit document": the same document as the JSON the API takes.

The change page edits the plan's own fields through ``plan_update`` (PATCH semantics) and shows
the document read-only. Every write goes through ``plans.services``, so it is in the audit log
with the document before and after, and marks the client's results stale.
"""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from clients.admin_scoping import ServiceFormMixin, TenantScopedAdmin, principal_of
from clients.models import Client
from clients.principals import Action
from clients.selectors import client_actions, clients_with_action
from plans import services
from plans.admin.editor import Catalogue, PlanEditor
from plans.admin.forms import (
    ApplyTemplateForm,
    PlanDocumentForm,
    PlanForm,
    PlanFromTemplateForm,
    editable_document,
    problems_of,
)
from plans.document import DocumentInvalid
from plans.models import Plan
from plans.selectors import (
    document_as_input,
    document_version,
    kpi_rows,
    plan_document,
    plan_with_document,
)


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

    class Media:
        css = {"all": ["plans/display.css"]}

    change_list_template = "admin/plans/plan/change_list.html"
    document_template = "admin/plans/plan/document.html"
    editor_template = "admin/plans/plan/editor.html"
    apply_template_template = "admin/plans/plan/apply_template.html"
    from_template_template = "admin/plans/plan/from_template.html"
    changed_meanwhile = _(
        "Someone saved this plan after you opened it, so nothing was saved. The page shows your "
        "changes as you left them: save again to replace theirs, or reload to start from theirs."
    )

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
        template = form.cleaned_data["template"]
        for plan in queryset.select_related("client__consultancy"):
            if not self.may_write_plan(request, plan):
                messages.error(
                    request,
                    _("You may not change “%(plan)s”; it was left as it was.") % {"plan": plan},
                )
                continue
            try:
                services.plan_apply_template(
                    plan=plan,
                    template=template,
                    language=form.cleaned_data["language"],
                    actor=principal_of(request),
                )
            except DocumentInvalid as exc:
                messages.error(
                    request,
                    _("“%(plan)s” was left as it was: %(problems)s")
                    % {"plan": plan, "problems": "; ".join(problems_of(exc))},
                )
            else:
                messages.success(
                    request,
                    _("“%(template)s” was applied to “%(plan)s”.")
                    % {"template": template, "plan": plan},
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
        return render_to_string(
            "plans/partials/plan_document.html",
            {"plan": plan, "kpis": kpi_rows(plan), "client": obj.client},
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
                "<uuid:plan_id>/editor/",
                site.admin_view(self.editor_view),
                name=f"{prefix}_editor",
            ),
            *super().get_urls(),
        ]

    def _url(self, name, *args):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    def _page(self, request, template, title, status=200, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                **context,
            },
            status=status,
        )

    def _writable_plan(self, request, plan_id) -> Plan:
        plan = self.get_queryset(request).select_related("client__consultancy").filter(pk=plan_id)
        plan = plan.first()
        if plan is None:
            raise Http404  # outside the user's scope: do not say whether it exists
        if not self.may_write_plan(request, plan):
            raise PermissionDenied
        return plan

    def editor_view(self, request, plan_id):
        plan = self._writable_plan(request, plan_id)
        shown = plan_document(plan_with_document(client=plan.client).get(pk=plan.pk))
        stored, version = document_as_input(shown), document_version(shown)
        editor = PlanEditor.build(
            document=stored,
            catalogue=Catalogue.of(plan.client),
            data=request.POST if request.method == "POST" else None,
        )
        status = 200
        if request.method == "POST" and editor.is_valid():
            raw = editor.document(stored)
            if not editor.has_row_errors():
                try:
                    services.plan_replace(
                        plan=plan,
                        raw=raw,
                        actor=principal_of(request),
                        expected_version=request.POST.get("version", ""),
                    )
                except services.PlanChanged:
                    editor.problems.append(str(self.changed_meanwhile))
                    status = 409
                except DocumentInvalid as exc:
                    editor.place(exc.errors)
                else:
                    messages.success(
                        request,
                        _("The KPIs, milestones and funnels of “%(plan)s” were saved.")
                        % {"plan": plan},
                    )
                    return redirect(self._url("change", plan.pk))
        return self._page(
            request,
            self.editor_template,
            _("Edit the plan “%(plan)s”") % {"plan": plan},
            original=plan,
            editor=editor,
            version=version,  # the stored plan's: a second save replaces what changed meanwhile
            change_url=self._url("change", plan.pk),
            hub_url=reverse("admin:client_hub", kwargs={"client_id": plan.client_id}),
            media=self.media + editor.media,
            status=status,
        )

    def document_view(self, request, plan_id):
        plan = self._writable_plan(request, plan_id)
        stored = plan_with_document(client=plan.client).get(pk=plan.pk)
        version = document_version(plan_document(stored))
        problems, status = [], 200
        if request.method == "POST":
            form = PlanDocumentForm(request.POST)
            if form.is_valid():
                try:
                    services.plan_replace(
                        plan=plan,
                        raw=form.cleaned_data["document"],
                        actor=principal_of(request),
                        expected_version=request.POST.get("version", ""),
                    )
                except services.PlanChanged:
                    problems, status = [str(self.changed_meanwhile)], 409
                except DocumentInvalid as exc:
                    problems = problems_of(exc)
                else:
                    messages.success(
                        request, _("The document of “%(plan)s” was saved.") % {"plan": plan}
                    )
                    return redirect(self._url("change", plan.pk))
        else:
            text = json.dumps(editable_document(stored), ensure_ascii=False, indent=2)
            form = PlanDocumentForm(initial={"document": text})
        return self._page(
            request,
            self.document_template,
            _("Edit the document of “%(plan)s”") % {"plan": plan},
            original=plan,
            form=form,
            problems=problems,
            version=version,
            change_url=self._url("change", plan.pk),
            media=self.media + form.media,
            status=status,
        )

    def from_template_view(self, request):
        if not self.may_create(request):
            raise PermissionDenied
        clients = (
            Client.objects.all()
            if request.user.is_superuser
            else clients_with_action(principal_of(request), Action.WRITE)
        )
        form = PlanFromTemplateForm(
            request.POST or None,
            clients=clients.order_by("name"),
            initial={"client": request.GET.get("client")},  # from a client's hub
        )
        problems = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                plan = services.plan_create_from_template(
                    client=data["client"],
                    template=data["template"],
                    starts_on=data["starts_on"],
                    language=data["language"],
                    status=data["status"],
                    actor=principal_of(request),
                )
            except DocumentInvalid as exc:
                problems = problems_of(exc)
            else:
                messages.success(
                    request,
                    _("The plan “%(plan)s” was created: adjust its targets to the client.")
                    % {"plan": plan},
                )
                return redirect(self._url("editor", plan.pk))  # the next step
        return self._page(
            request,
            self.from_template_template,
            _("New plan from a template"),
            form=form,
            problems=problems,
            media=self.media + form.media,
        )
