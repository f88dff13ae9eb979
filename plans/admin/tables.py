"""The plan's KPIs, milestones and funnels as tables in the admin: inline editing without nesting.

A plan nests two levels deep (milestones with their conditions, funnels with their stages) and
Django's inlines nest one. A nested-inline package (django-nested-admin) would save the rows
model by model, past the document checker; instead, this page shows five flat tables — KPIs,
milestones, milestone conditions, funnels, funnel stages — where a condition or stage row names
its milestone or funnel by key. Saving assembles the tables into the plan document and writes it
with ``plan_replace``: the same checks as the API's PUT, in one transaction, matched by key (ids
and achievements survive), audited with the document before and after.

A problem the checker finds (``milestones[1].conditions[0].value``) is shown on the row and
field it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from metrics.periods import Granularity
from plans.document import INTERPOLATIONS

ROW_WIDGETS = {
    "short": forms.TextInput(attrs={"size": 10}),
    "medium": forms.TextInput(attrs={"size": 16}),
    "long": forms.TextInput(attrs={"size": 28}),
}


def _text(label, size="short", required=False):
    # Numbers, periods and dates stay text here: the document checker reads them exactly as the
    # API reads them (decimals without float rounding, periods by the KPI's granularity).
    return forms.CharField(label=label, required=required, widget=ROW_WIDGETS[size])


def _choice(label, values, required=True):
    choices = [(value, value) for value in values]
    if not required:
        choices = [("", "–"), *choices]
    return forms.ChoiceField(label=label, choices=choices, required=required)


class _MetricRow(forms.Form):
    def __init__(self, *args, metrics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"] = _choice(_("metric"), metrics)
        self.order_fields(self.field_order)


class KpiRow(_MetricRow):
    field_order = ["key", "metric"]
    key = _text(_("key"), "medium", required=True)
    parent = _text(_("parent"), "medium")
    weight = _text(_("weight"))
    granularity = _choice(_("granularity"), [g.value for g in Granularity])
    baseline_period = _text(_("baseline period"))
    baseline_value = _text(_("baseline value"), required=True)
    must = _text(_("must"), required=True)
    stretch = _text(_("stretch"))
    target_period = _text(_("target period"), required=True)
    interpolation = _choice(_("interpolation"), INTERPOLATIONS)
    formula = _text(_("formula"), "long")

    def as_document(self) -> dict:
        data = self.cleaned_data
        item = {
            "key": data["key"],
            "metric": data["metric"],
            "parent": data["parent"] or None,
            "granularity": data["granularity"],
            "baseline": {"period": data["baseline_period"], "value": data["baseline_value"]},
            "must": data["must"],
            "stretch": data["stretch"] or None,
            "target_period": data["target_period"],
            "interpolation": data["interpolation"],
            "formula": data["formula"],
        }
        if data["weight"]:
            item["weight"] = data["weight"]
        return item

    @staticmethod
    def initial_of(kpi: dict) -> dict:
        return {
            **{name: kpi.get(name) for name in ("key", "metric", "parent", "weight", "formula")},
            "granularity": kpi.get("granularity", "month"),
            "baseline_period": kpi["baseline"]["period"],
            "baseline_value": kpi["baseline"]["value"],
            "must": kpi["must"],
            "stretch": kpi.get("stretch"),
            "target_period": kpi["target_period"],
            "interpolation": kpi.get("interpolation", "linear"),
        }


class MilestoneRow(forms.Form):
    key = _text(_("key"), "medium", required=True)
    name = _text(_("name"), "long", required=True)
    due = _text(_("due"), required=True)
    kind = _choice(_("kind"), ["state", "event"])
    achieved_on = _text(_("achieved on"))

    def as_document(self) -> dict:
        data = self.cleaned_data
        return {**data, "achieved_on": data["achieved_on"] or None, "conditions": []}

    @staticmethod
    def initial_of(milestone: dict) -> dict:
        return {name: milestone.get(name) for name in ("key", "name", "due", "kind", "achieved_on")}


class ConditionRow(_MetricRow):
    field_order = ["milestone", "metric"]
    milestone = _text(_("milestone key"), "medium", required=True)
    op = forms.ChoiceField(label=_("op"), choices=[("gte", "≥"), ("lte", "≤")])
    value = _text(_("value"), required=True)
    cumulative = forms.BooleanField(label=_("cumulative"), required=False)

    def as_document(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("metric", "op", "value", "cumulative")}


class FunnelRow(forms.Form):
    key = _text(_("key"), "medium", required=True)
    name = _text(_("name"), "long", required=True)

    def as_document(self) -> dict:
        return {**self.cleaned_data, "stages": []}

    @staticmethod
    def initial_of(funnel: dict) -> dict:
        return {"key": funnel["key"], "name": funnel["name"]}


class StageRow(_MetricRow):
    field_order = ["funnel", "name", "metric"]
    funnel = _text(_("funnel key"), "medium", required=True)
    name = _text(_("stage"), "medium", required=True)
    target_conversion = _text(_("target conversion"))

    def as_document(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "metric": data["metric"],
            "target_conversion": data["target_conversion"] or None,
        }


def _formset(form, *, extra, order=False):
    return forms.formset_factory(form, extra=extra, can_delete=True, can_order=order)


@dataclass
class Tables:
    """The five formsets of one page, built from a stored document or from a POST."""

    kpis: forms.BaseFormSet
    milestones: forms.BaseFormSet
    conditions: forms.BaseFormSet
    funnels: forms.BaseFormSet
    stages: forms.BaseFormSet
    problems: list[str] = field(default_factory=list)  # not tied to a row

    SETS = {
        "kpis": (_formset(KpiRow, extra=2), _("KPIs")),
        "milestones": (_formset(MilestoneRow, extra=2), _("Milestones")),
        "conditions": (_formset(ConditionRow, extra=3), _("Milestone conditions")),
        "funnels": (_formset(FunnelRow, extra=1), _("Funnels")),
        "stages": (_formset(StageRow, extra=3, order=True), _("Funnel stages")),
    }

    @classmethod
    def build(cls, *, document: dict, metrics: list[str], data=None) -> Tables:
        initial = {
            "kpis": [KpiRow.initial_of(kpi) for kpi in document["kpis"]],
            "milestones": [MilestoneRow.initial_of(m) for m in document["milestones"]],
            "conditions": [
                {"milestone": milestone["key"], **condition}
                for milestone in document["milestones"]
                for condition in milestone["conditions"]
            ],
            "funnels": [FunnelRow.initial_of(funnel) for funnel in document["funnels"]],
            "stages": [
                {"funnel": funnel["key"], **stage, "ORDER": position}
                for funnel in document["funnels"]
                for position, stage in enumerate(funnel["stages"], start=1)
            ],
        }
        with_metrics = {"conditions", "kpis", "stages"}
        sets = {
            name: formset_class(
                data,
                prefix=name,
                initial=initial[name],
                form_kwargs={"metrics": metrics} if name in with_metrics else {},
            )
            for name, (formset_class, _title) in cls.SETS.items()
        }
        return cls(**sets)

    def sections(self):
        return [
            (title, getattr(self, name), name)
            for name, (_formset_class, title) in self.SETS.items()
        ]

    def is_valid(self) -> bool:
        return all([formset.is_valid() for _title, formset, _name in self.sections()])

    # --- the tables as one document -------------------------------------------------------------

    @staticmethod
    def _kept(formset) -> list[forms.Form]:
        if formset.can_order:
            return list(formset.ordered_forms)
        return [
            form
            for index, form in enumerate(formset.forms)
            if not formset._should_delete_form(form)
            and (index < formset.initial_form_count() or form.has_changed())
        ]

    def document(self, base: dict) -> dict:
        """The plan's own fields from ``base`` with the tables' rows; remembers which form each
        part of the document came from, to show the checker's problems on the right row."""
        self._origin: dict[str, forms.Form] = {}
        kpis = self._rows("kpis", self.kpis)
        milestones = self._rows("milestones", self.milestones)
        self._nest(
            milestones,
            "milestones",
            self.conditions,
            "conditions",
            owner_field="milestone",
            missing=_("No milestone above has this key."),
        )
        funnels = self._rows("funnels", self.funnels)
        self._nest(
            funnels,
            "funnels",
            self.stages,
            "stages",
            owner_field="funnel",
            missing=_("No funnel above has this key."),
        )
        own = ("name", "vision", "starts_on", "ends_on", "status")
        return {
            **{name: base[name] for name in own},
            "kpis": kpis,
            "milestones": milestones,
            "funnels": funnels,
        }

    def _rows(self, name: str, formset) -> list[dict]:
        """The kept rows of a table as document items, each remembered as ``name[i]``."""
        items = []
        for form in self._kept(formset):
            self._origin[f"{name}[{len(items)}]"] = form
            items.append(form.as_document())
        return items

    def _nest(self, owners, owners_name, formset, name, *, owner_field, missing) -> None:
        """Append each kept row of ``formset`` to the ``name`` list of the owner whose key its
        ``owner_field`` names (the first owner with that key); a row naming none is an error."""
        by_key = {}
        for index, owner in enumerate(owners):
            by_key.setdefault(owner["key"], index)
        for form in self._kept(formset):
            index = by_key.get(form.cleaned_data[owner_field])
            if index is None:
                form.add_error(owner_field, missing)
                continue
            nested = owners[index][name]
            self._origin[f"{owners_name}[{index}].{name}[{len(nested)}]"] = form
            nested.append(form.as_document())

    def has_row_errors(self) -> bool:
        return any(formset.total_error_count() for _title, formset, _name in self.sections())

    ROW_PATH = re.compile(
        r"^((?:kpis|milestones|funnels)\[\d+\](?:\.(?:conditions|stages)\[\d+\])?)"
    )

    def place(self, errors: list[tuple[str, str]]) -> None:
        """Put each (path, message) of ``DocumentInvalid`` on its row and field."""
        for path, message in errors:
            matched = self.ROW_PATH.match(path)
            form = self._origin.get(matched.group(1)) if matched else None
            if form is None:
                self.problems.append(f"{path}: {message}" if path else message)
                continue
            rest = path[matched.end() :].lstrip(".")
            name = rest.replace(".", "_")
            if name in form.fields:
                form.add_error(name, message)
            else:
                form.add_error(None, f"{rest}: {message}" if rest else message)
