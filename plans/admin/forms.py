"""The forms of the plan admin: the plan's own fields, the document as JSON, and the template
choices of "new plan from a template" and "apply a template"."""

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from clients.parsers import loads_exact
from clients.problem_words import problem_text
from plans import services
from plans.document import DocumentInvalid
from plans.models import Plan
from plans.plan_templates import TEMPLATES
from plans.selectors import document_as_input, plan_document


def problems_of(exc: DocumentInvalid) -> list[str]:
    """The checker's problems as lines a person reads, in their language:
    ``kpis[0].must: is required`` (``kpis[0].must: 必須です``)."""
    language = get_language()
    return [
        f"{where}: {problem_text(message, language)}" if where else problem_text(message, language)
        for where, message in exc.errors
    ]


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
                    self.add_error(where, problem_text(message, get_language()))
                else:
                    shown = problem_text(message, get_language())
                    self.add_error(None, f"{where}: {shown}" if where else shown)
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


def json_number(value: Decimal):
    """A stored decimal as a JSON number, exactly: an int when whole, a float when the float
    says the same, else text (which the checker reads as a number too)."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else str(value.normalize())


def editable_document(plan: Plan) -> dict:
    """``plan_document`` as input again, JSON-ready: no ids, dates as text, decimals as numbers."""
    return document_as_input(plan_document(plan), number=json_number)


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
