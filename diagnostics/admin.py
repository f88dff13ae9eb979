"""The consultants' admin for diagnostics.

Templates: every member reads the built-in ones (read-only) and their consultancies' copies;
owners and managers copy a template into their consultancy (the action "Copy to my
consultancy") and edit their copy's document on its "Edit definition" page, checked exactly as
a template is read — an edit after a run used the template becomes the next version. Runs are
shown read-only with their answers and results, scoped like the clients they belong to.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from clients.admin import ReadOnlyAdminMixin
from clients.admin_scoping import (
    ConsultancyScopedAdmin,
    TenantScopedAdmin,
    per_request,
    principal_of,
)
from clients.models import Consultancy
from clients.parsers import loads_exact
from clients.principals import Action
from clients.selectors import consultancies_managed_by, consultancy_actions
from diagnostics import services
from diagnostics.definition import DefinitionInvalid
from diagnostics.models import DiagnosticRun, DiagnosticTemplate
from diagnostics.selectors import templates_visible_to


class CopyForm(forms.Form):
    consultancy = forms.ModelChoiceField(
        label=capfirst(_("consultancy")), queryset=Consultancy.objects.none()
    )
    key = forms.SlugField(
        label=capfirst(_("key")),
        max_length=64,
        help_text=_("The copy's own key: lower-case letters, digits and hyphens."),
    )

    def __init__(self, *args, consultancies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultancy"].queryset = consultancies


class DefinitionForm(forms.Form):
    definition = forms.CharField(
        label=capfirst(_("definition")),
        widget=forms.Textarea(attrs={"rows": 40, "cols": 100, "class": "vLargeTextField"}),
    )

    def clean_definition(self):
        try:
            return loads_exact(self.cleaned_data["definition"])
        except ValueError as exc:
            raise ValidationError(
                _("This is not valid JSON: %(error)s"), params={"error": exc}, code="json"
            ) from exc


@admin.register(DiagnosticTemplate)
class DiagnosticTemplateAdmin(ConsultancyScopedAdmin):
    view_action = Action.READ
    change_action = add_action = delete_action = Action.MANAGE_CLIENTS
    list_display = ["key", "version", "name", "name_ja", "belongs_to", "created_at"]
    list_filter = [("consultancy", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["consultancy"]
    search_fields = ["key", "name", "name_ja"]
    fields = ["consultancy", "key", "version", "name", "name_ja", "copied_from", "questions"]
    readonly_fields = fields
    actions = ["copy_template"]
    change_form_template = "admin/diagnostics/diagnostictemplate/change_form.html"

    @admin.display(description=_("consultancy"), empty_value=_("built-in"))
    def belongs_to(self, obj):
        return obj.consultancy

    @admin.display(description=_("questions"))
    def questions(self, obj):
        definition = services.definition_of(obj)
        return format_html_join(
            "",
            "<h4>{} ({})</h4><ol>{}</ol>",
            (
                (
                    section.title,
                    section.title_ja,
                    format_html_join(
                        "",
                        "<li>{} / {} <small>[{}]</small></li>",
                        ((q.text, q.text_ja, q.type) for q in section.questions),
                    ),
                )
                for section in definition.sections
            ),
        )

    # --- rows and rights ------------------------------------------------------------------------

    def scope_queryset(self, request, queryset):
        return queryset.filter(pk__in=templates_visible_to(principal_of(request)).values("pk"))

    def object_actions(self, request, obj):
        if obj.builtin:
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

    def has_add_permission(self, request):
        return False  # a template starts as a copy (the action) of another

    def has_delete_permission(self, request, obj=None):
        return False  # runs keep the version they were answered on

    def may_edit(self, request, obj) -> bool:
        return not obj.builtin and (
            request.user.is_superuser or Action.MANAGE_CLIENTS in self.object_actions(request, obj)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        template = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "may_edit_definition": template is not None and self.may_edit(request, template),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- copying --------------------------------------------------------------------------------

    @admin.action(description=_("Copy to my consultancy"))
    def copy_template(self, request, queryset):
        consultancies = consultancies_managed_by(principal_of(request), Action.MANAGE_CLIENTS)
        if request.user.is_superuser:
            consultancies = Consultancy.objects.all()
        template = queryset.first()
        form = CopyForm(
            request.POST if "copy" in request.POST else None, consultancies=consultancies
        )
        if form.is_valid():
            try:
                copy = services.template_copy(
                    template=template,
                    consultancy=form.cleaned_data["consultancy"],
                    key=form.cleaned_data["key"],
                    actor=principal_of(request),
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("key", message)
            else:
                messages.success(request, _("“%(copy)s” was created.") % {"copy": copy})
                return redirect(self._url("change", copy.pk))
        return TemplateResponse(
            request,
            "admin/diagnostics/diagnostictemplate/copy.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Copy “%(template)s”") % {"template": template},
                "form": form,
                "template": template,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    # --- editing a copy's document --------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<uuid:template_id>/definition/",
                self.admin_site.admin_view(self.definition_view),
                name=f"{prefix}_definition",
            ),
            *super().get_urls(),
        ]

    def _url(self, name, *args):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    def definition_view(self, request, template_id):
        template = self.get_queryset(request).filter(pk=template_id).first()
        if template is None:
            raise Http404
        if not self.may_edit(request, template):
            raise PermissionDenied
        problems = []
        if request.method == "POST":
            form = DefinitionForm(request.POST)
            if form.is_valid():
                try:
                    saved = services.template_update(
                        template=template,
                        raw=form.cleaned_data["definition"],
                        actor=principal_of(request),
                    )
                except DefinitionInvalid as exc:
                    problems = [f"{where}: {message}" for where, message in exc.errors]
                except ValidationError as exc:
                    problems = exc.messages
                else:
                    messages.success(request, _("“%(template)s” was saved.") % {"template": saved})
                    return redirect(self._url("change", saved.pk))
        else:
            text = json.dumps(template.definition, ensure_ascii=False, indent=2, default=str)
            form = DefinitionForm(initial={"definition": text})
        return TemplateResponse(
            request,
            "admin/diagnostics/diagnostictemplate/definition.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Edit the definition of “%(template)s”") % {"template": template},
                "original": template,
                "form": form,
                "problems": problems,
                "change_url": self._url("change", template.pk),
                "media": self.media + form.media,
            },
        )


@admin.register(DiagnosticRun)
class DiagnosticRunAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    """The runs as a list; each opens on the client's diagnostic page in the workspace, where it
    is answered and its result read."""

    list_display = ["created_at", "client", "questionnaire", "status", "score", "level", "opened"]
    list_filter = ["status", ("client", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["client", "template"]
    search_fields = ["client__name", "template__key"]
    fields = [
        "client",
        "questionnaire",
        "status",
        "started_by",
        "submitted_at",
        "scored_at",
        "score",
        "level",
        "opened",
    ]
    readonly_fields = fields

    @admin.display(description=_("questionnaire"), ordering="template__key")
    def questionnaire(self, obj):
        return obj.template.display_name

    @admin.display(description=_("score"))
    def score(self, obj):
        return (obj.result or {}).get("score")

    @admin.display(description=_("level"))
    def level(self, obj):
        return (obj.result or {}).get("level")

    @admin.display(description=_("questions and result"))
    def opened(self, obj):
        url = reverse(
            "admin:client_diagnostic", kwargs={"client_id": obj.client_id, "run_id": obj.pk}
        )
        return format_html('<a href="{}">{}</a>', url, _("Open"))
