"""The plan editor: the KPI tree, the milestones with their conditions and the funnels with their
stages, on one page, saved together as one plan document.

A plan nests two levels deep and Django's inlines nest one; a nested-inline package would save
row by row, past the document checker. Here each milestone form carries a formset of its
conditions and each funnel form one of its stages (prefixes ``milestones-0-conditions``,
``funnels-1-stages``). Saving assembles the forms into the document and writes it with
``plan_replace``: the checks of the API's PUT, in one transaction, matched by key (ids and
achievements survive), audited with the document before and after. A problem the checker finds
(``milestones[1].conditions[0].value``) is put on the form and field it came from.

What a person sees is not what the document stores, in three ways:

- metrics by their names in the reader's language, and a KPI's parent among the plan's KPIs;
- beside each value, its unit (``¥``, ``%``, ``件``); a ratio is typed as a percentage (15 for
  0.15), converted exactly both ways, and so is a stage's target conversion;
- no blank rows: the page's "add" buttons clone an empty form (``plans/plan_editor.js``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from clients.problem_words import problem_text
from metrics.display import input_affixes, is_japanese
from metrics.models import GRANULARITY_CHOICES
from metrics.periods import Granularity
from metrics.selectors import metrics_for_client

# --- numbers as typed -------------------------------------------------------------------------


# A typed number is shifted by two places (a percentage to a fraction and back) only within
# what the document stores; anything longer goes to the checker as typed, which names it.
LARGEST_EXPONENT = 40


def read_number(text) -> Decimal | None:
    """The number as typed, read like the API reads it: no thousands separators (``1,5``
    is not 1.5 nor 15), nothing infinite, nothing absurdly large or small."""
    try:
        number = Decimal(str(text).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number.adjusted()) > LARGEST_EXPONENT:
        return None
    return number


def _shifted(number: Decimal, places: int) -> Decimal:
    """``number`` times 10 to the ``places``, exactly: only the exponent moves."""
    sign, digits, exponent = number.as_tuple()
    return Decimal((sign, digits, exponent + places))


def plain_number(number: Decimal) -> str:
    """``15``, ``0.5``, ``1200000``: no exponent, no trailing zeros."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def as_percent(value) -> str:
    """A stored fraction as the percentage a person types: 0.15 → ``15``. Exact."""
    if value is None or value == "":
        return ""
    number = read_number(value)
    return str(value) if number is None else plain_number(_shifted(number, 2))


def from_percent(text: str) -> str:
    """A typed percentage as the fraction the document holds: ``15`` → ``0.15``, exactly. Text
    that is not a number is passed on as it is, for the checker to name at its field."""
    number = read_number(text)
    return text if number is None else plain_number(_shifted(number, -2))


def typed_number(value) -> str:
    return "" if value is None else plain_number(Decimal(str(value)))


# --- the metrics a plan may name ----------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    """The client's metrics as the editor shows them: choices labelled in the reader's
    language, and each metric's unit and the words beside its inputs."""

    choices: list[tuple[str, str]]
    units: dict[str, str]
    affixes: dict[str, tuple[str, str]]

    @classmethod
    def of(cls, client: Client) -> Catalogue:
        language = get_language()
        japanese = is_japanese(language)
        metrics = sorted(
            metrics_for_client(client), key=lambda m: (m.name_ja if japanese else m.name).lower()
        )
        return cls(
            choices=[("", "—")]
            + [(m.key, f"{m.name_ja if japanese else m.name} ({m.key})") for m in metrics],
            units={m.key: m.unit for m in metrics},
            affixes={m.key: input_affixes(m.unit, client.currency, language) for m in metrics},
        )

    def is_ratio(self, key: str) -> bool:
        return self.units.get(key) == "ratio"


class MetricSelect(forms.Select):
    """Each option carries the words shown beside the inputs of its metric's values."""

    def __init__(self, catalogue: Catalogue, attrs=None):
        super().__init__(attrs={"class": "pe-metric", **(attrs or {})})
        self.catalogue = catalogue

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        before, after = self.catalogue.affixes.get(str(value), ("", ""))
        option["attrs"].update({"data-before": before, "data-after": after})
        return option


# --- the forms of one row -----------------------------------------------------------------------


def _text(label, size=10, required=False, **attrs):
    # Numbers, periods and dates stay text: the document checker reads them exactly as the API
    # reads them (decimals without float rounding, periods by the KPI's granularity).
    return forms.CharField(
        label=label, required=required, widget=forms.TextInput(attrs={"size": size, **attrs})
    )


def _value(label, required=False):
    return _text(label, 12, required, inputmode="decimal", **{"data-valued": ""})


class _Row(forms.Form):
    """A row that may name a metric: the metric select knows the catalogue."""

    def __init__(self, *args, catalogue: Catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        if "metric" in self.fields:
            self.fields["metric"].widget = MetricSelect(catalogue)
            self.fields["metric"].choices = catalogue.choices  # after: sets the widget's too

    @property
    def metric_key(self) -> str:
        return str(self["metric"].value() or "")

    @property
    def affixes(self) -> tuple[str, str]:
        """The words beside this row's values, by the metric it names now."""
        return self.catalogue.affixes.get(self.metric_key, ("", ""))

    def _typed(self, name: str) -> str:
        """A value as the document takes it: a ratio's percentage back to a fraction."""
        text = self.cleaned_data[name]
        if text and self.catalogue.is_ratio(self.cleaned_data["metric"]):
            return from_percent(text)
        return text

    @staticmethod
    def _shown(value, metric: str, catalogue: Catalogue) -> str:
        return as_percent(value) if catalogue.is_ratio(metric) else typed_number(value)


class KpiForm(_Row):
    key = _text(_("key"), 14, required=True, **{"class": "pe-key"})
    metric = forms.ChoiceField(label=_("metric"))
    parent = forms.CharField(
        label=_("parent"),
        required=False,
        widget=forms.Select(attrs={"class": "pe-parent"}),
        help_text=_("Empty for a KGI at the top of the tree."),
    )
    granularity = forms.ChoiceField(
        label=_("granularity"), choices=GRANULARITY_CHOICES, initial=Granularity.MONTH.value
    )
    baseline_period = _text(_("baseline period"), 10, placeholder="YYYY-MM")
    baseline_value = _value(_("baseline"), required=True)
    must = _value(_("must achieve"), required=True)
    stretch = _value(_("stretch"))
    target_period = _text(_("target period"), 10, required=True, placeholder="YYYY-MM")
    weight = _text(_("weight"), 6, inputmode="decimal")
    interpolation = forms.ChoiceField(
        label=_("path to the target"),
        choices=[("linear", _("straight line")), ("compound", _("compound growth"))],
        initial="linear",
    )
    formula = _text(_("formula"), 28, placeholder="visitors * cvr")

    VALUED = ("baseline_value", "must", "stretch")

    def __init__(self, *args, parents: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].widget.choices = [("", _("— top of the tree (KGI)")), *parents]

    def as_document(self) -> dict:
        data = self.cleaned_data
        item = {
            "key": data["key"],
            "metric": data["metric"],
            "parent": data["parent"] or None,
            "granularity": data["granularity"],
            "baseline": {"period": data["baseline_period"], "value": self._typed("baseline_value")},
            "must": self._typed("must"),
            "stretch": self._typed("stretch") or None,
            "target_period": data["target_period"],
            "interpolation": data["interpolation"],
            "formula": data["formula"],
        }
        if data["weight"]:
            item["weight"] = data["weight"]
        return item

    @staticmethod
    def initial_of(kpi: dict, catalogue: Catalogue) -> dict:
        metric = kpi["metric"]
        return {
            "key": kpi["key"],
            "metric": metric,
            "parent": kpi.get("parent") or "",
            "granularity": kpi.get("granularity", "month"),
            "baseline_period": kpi["baseline"]["period"],
            "baseline_value": _Row._shown(kpi["baseline"]["value"], metric, catalogue),
            "must": _Row._shown(kpi["must"], metric, catalogue),
            "stretch": _Row._shown(kpi.get("stretch"), metric, catalogue),
            "target_period": kpi["target_period"],
            "weight": typed_number(kpi.get("weight")),
            "interpolation": kpi.get("interpolation", "linear"),
            "formula": kpi.get("formula", ""),
        }


class ConditionForm(_Row):
    metric = forms.ChoiceField(label=_("metric"))
    op = forms.ChoiceField(
        label=pgettext_lazy("milestone condition", "is"),
        choices=[("gte", "≥"), ("lte", "≤")],
        initial="gte",
    )
    value = _value(_("value"), required=True)
    cumulative = forms.BooleanField(
        label=_("cumulative"),
        required=False,
        help_text=_("Counted from the plan's start, not in the due month alone."),
    )

    def as_document(self) -> dict:
        data = self.cleaned_data
        return {
            "metric": data["metric"],
            "op": data["op"],
            "value": self._typed("value"),
            "cumulative": data["cumulative"],
        }

    @staticmethod
    def initial_of(condition: dict, catalogue: Catalogue) -> dict:
        return {
            **condition,
            "value": _Row._shown(condition["value"], condition["metric"], catalogue),
        }


class MilestoneForm(_Row):
    key = _text(_("key"), 14, required=True)
    name = _text(_("name"), 36, required=True)
    due = _text(_("due"), 11, required=True, placeholder="YYYY-MM-DD")
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[("state", _("a state on the due date")), ("event", _("an event, done once"))],
        initial="state",
    )
    achieved_on = _text(_("achieved on"), 11, placeholder="YYYY-MM-DD")

    conditions: forms.BaseFormSet  # set by the editor

    def as_document(self) -> dict:
        data = self.cleaned_data
        return {
            **{name: data[name] for name in ("key", "name", "due", "kind")},
            "achieved_on": data["achieved_on"] or None,
            "conditions": [],
        }

    @staticmethod
    def initial_of(milestone: dict) -> dict:
        return {
            name: milestone.get(name) or ""
            for name in ("key", "name", "due", "kind", "achieved_on")
        }


class StageForm(_Row):
    name = _text(_("stage"), 18, required=True)
    metric = forms.ChoiceField(label=_("metric"))
    target_conversion = _text(
        _("target conversion from the stage before"),
        6,
        inputmode="decimal",
    )

    def as_document(self) -> dict:
        conversion = self.cleaned_data["target_conversion"]
        return {
            "name": self.cleaned_data["name"],
            "metric": self.cleaned_data["metric"],
            "target_conversion": from_percent(conversion) if conversion else None,
        }

    @staticmethod
    def initial_of(stage: dict, position: int) -> dict:
        return {
            "name": stage["name"],
            "metric": stage["metric"],
            "target_conversion": as_percent(stage.get("target_conversion")),
            "ORDER": position,
        }


class FunnelForm(_Row):
    key = _text(_("key"), 14, required=True)
    name = _text(_("name"), 36, required=True)

    stages: forms.BaseFormSet  # set by the editor

    def as_document(self) -> dict:
        return {"key": self.cleaned_data["key"], "name": self.cleaned_data["name"], "stages": []}


def _formset(form, order=False):
    # No blank rows: the page adds one when asked (plans/plan_editor.js clones the empty form).
    return forms.formset_factory(form, extra=0, can_delete=True, can_order=order)


KpiSet = _formset(KpiForm)
MilestoneSet = _formset(MilestoneForm)
ConditionSet = _formset(ConditionForm)
FunnelSet = _formset(FunnelForm)
StageSet = _formset(StageForm, order=True)


def tree_order(kpis: list[dict]) -> list[tuple[dict, int]]:
    """Every KPI, each parent before its children, with its depth. A KPI whose parent is not in
    the plan, one in a cycle and a second one with the same key stand at the top level, in the
    order given: none is dropped, so the checker still names what is wrong with them."""
    keys = {kpi["key"] for kpi in kpis}
    children: dict[str | None, list[dict]] = {}
    for kpi in kpis:
        parent = kpi.get("parent")
        children.setdefault(parent if parent in keys else None, []).append(kpi)
    ordered: list[tuple[dict, int]] = []
    placed: set[int] = set()  # by identity: two rows may share a key
    expanded: set[str] = set()  # keys whose children are placed (a cycle stops here)

    def walk(kpi, depth):
        placed.add(id(kpi))
        ordered.append((kpi, depth))
        if kpi["key"] in expanded:
            return
        expanded.add(kpi["key"])
        for child in children.get(kpi["key"], []):
            if id(child) not in placed:
                walk(child, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    ordered += [(kpi, 0) for kpi in kpis if id(kpi) not in placed]
    return ordered


# --- the whole page -----------------------------------------------------------------------------


@dataclass
class PlanEditor:
    """The page's formsets, built from a stored document or from a POST."""

    catalogue: Catalogue
    kpis: forms.BaseFormSet
    milestones: forms.BaseFormSet
    funnels: forms.BaseFormSet
    depths: list[int]
    problems: list[str] = field(default_factory=list)  # not tied to a row

    @classmethod
    def build(cls, *, document: dict, catalogue: Catalogue, data=None) -> PlanEditor:
        ordered = tree_order(document["kpis"])
        parents = cls._parents(document, data)
        kpis = KpiSet(
            data,
            prefix="kpis",
            initial=[KpiForm.initial_of(kpi, catalogue) for kpi, _depth in ordered],
            form_kwargs={"catalogue": catalogue, "parents": parents},
        )
        milestones = MilestoneSet(
            data,
            prefix="milestones",
            initial=[MilestoneForm.initial_of(m) for m in document["milestones"]],
            form_kwargs={"catalogue": catalogue},
        )
        cls._nest(
            milestones,
            "conditions",
            ConditionSet,
            document["milestones"],
            lambda condition, _position: ConditionForm.initial_of(condition, catalogue),
            data=data,
            catalogue=catalogue,
        )
        funnels = FunnelSet(
            data,
            prefix="funnels",
            initial=[{"key": f["key"], "name": f["name"]} for f in document["funnels"]],
            form_kwargs={"catalogue": catalogue},
        )
        cls._nest(
            funnels,
            "stages",
            StageSet,
            document["funnels"],
            StageForm.initial_of,
            data=data,
            catalogue=catalogue,
        )
        depths = [depth for _kpi, depth in ordered]
        return cls(catalogue, kpis, milestones, funnels, depths)

    @staticmethod
    def _nest(owners, name, formset_class, stored, initial_of, *, data, catalogue) -> None:
        """Give each form of ``owners`` (milestones, funnels) the formset of its ``name``
        (conditions, stages), prefixed ``milestones-0-conditions``, holding the stored rows of
        the owner in that place (none for a row added on the page)."""
        for index, form in enumerate(owners.forms):
            rows = stored[index][name] if index < len(stored) else []
            nested = formset_class(
                data,
                prefix=f"{form.prefix}-{name}",
                initial=[initial_of(row, position) for position, row in enumerate(rows, start=1)],
                form_kwargs={"catalogue": catalogue},
            )
            setattr(form, name, nested)

    @staticmethod
    def _parents(document: dict, data) -> list[tuple[str, str]]:
        """The keys a KPI's parent may name: the plan's KPIs, and on a POST the keys typed on
        the page (a KPI added with its children in one save)."""
        keys = [kpi["key"] for kpi in document["kpis"]]
        if data is not None:
            pattern = re.compile(r"^kpis-\d+-key$")
            keys += [value for name, value in data.items() if pattern.match(name) and value]
        return [(key, key) for key in dict.fromkeys(keys)]

    # --- what the template shows ----------------------------------------------------------------

    def kpi_rows(self):
        """Each KPI form with its depth in the tree (new rows stand at the top level)."""
        return [
            (form, self.depths[index] if index < len(self.depths) else 0)
            for index, form in enumerate(self.kpis.forms)
        ]

    def empty_forms(self) -> dict[str, forms.Form | forms.BaseFormSet]:
        """The templates the page clones to add a row: ``__prefix__`` stands for the new row's
        index, and in a condition or stage also ``__m__`` for its milestone or funnel."""
        kwargs = {"catalogue": self.catalogue}
        milestone = self.milestones.empty_form
        milestone.conditions = ConditionSet(
            prefix=f"{milestone.prefix}-conditions", form_kwargs=kwargs
        )
        funnel = self.funnels.empty_form
        funnel.stages = StageSet(prefix=f"{funnel.prefix}-stages", form_kwargs=kwargs)
        return {
            "kpi": self.kpis.empty_form,
            "milestone": milestone,
            "condition": ConditionSet(
                prefix="milestones-__m__-conditions", form_kwargs=kwargs
            ).empty_form,
            "funnel": funnel,
            "stage": StageSet(prefix="funnels-__m__-stages", form_kwargs=kwargs).empty_form,
        }

    def all_formsets(self) -> list[forms.BaseFormSet]:
        return [
            self.kpis,
            self.milestones,
            *(form.conditions for form in self.milestones.forms),
            self.funnels,
            *(form.stages for form in self.funnels.forms),
        ]

    @property
    def media(self) -> forms.Media:
        media = forms.Media()
        for formset in self.all_formsets():
            media += formset.media
        return media

    def is_valid(self) -> bool:
        return all([formset.is_valid() for formset in self.all_formsets()])

    def has_row_errors(self) -> bool:
        return any(formset.total_error_count() for formset in self.all_formsets())

    # --- the forms as one document --------------------------------------------------------------

    @staticmethod
    def _kept(formset) -> list[forms.Form]:
        """The rows to save: in the order asked for where the set is ordered; not deleted; and
        of the added rows, those with something typed in them."""
        if formset.can_order:
            return list(formset.ordered_forms)
        return [
            form
            for index, form in enumerate(formset.forms)
            if not formset._should_delete_form(form)
            and (index < formset.initial_form_count() or form.has_changed())
        ]

    def document(self, base: dict) -> dict:
        """The plan's own fields from ``base`` with the page's rows; remembers which form each
        part of the document came from, to put the checker's problems on the right row."""
        self._origin: dict[str, forms.Form] = {}
        # Saved as the tree reads, parents before their children: a KPI added under a parent
        # is stored next to it, so scorecards and exports list it there.
        rows = [(form, form.as_document()) for form in self._kept(self.kpis)]
        form_of = {id(item): form for form, item in rows}
        kpis = []
        for item, _depth in tree_order([item for _form, item in rows]):
            self._origin[f"kpis[{len(kpis)}]"] = form_of[id(item)]
            kpis.append(item)
        milestones = self._owners("milestones", self.milestones, "conditions")
        funnels = self._owners("funnels", self.funnels, "stages")
        own = ("name", "vision", "starts_on", "ends_on", "status")
        return {
            **{name: base[name] for name in own},
            "kpis": kpis,
            "milestones": milestones,
            "funnels": funnels,
        }

    def _owners(self, path: str, formset, name: str) -> list[dict]:
        """The kept milestones or funnels, each with its kept conditions or stages."""
        kept = self._kept(formset)
        items = self._rows(path, kept)
        for index, form in enumerate(kept):
            items[index][name] = self._rows(
                f"{path}[{index}].{name}", self._kept(getattr(form, name))
            )
        return items

    def _rows(self, path: str, kept: list[forms.Form]) -> list[dict]:
        items = []
        for form in kept:
            self._origin[f"{path}[{len(items)}]"] = form
            items.append(form.as_document())
        return items

    ROW_PATH = re.compile(
        r"^((?:kpis|milestones|funnels)\[\d+\](?:\.(?:conditions|stages)\[\d+\])?)"
    )

    def place(self, errors: list[tuple[str, str]]) -> None:
        """Put each (path, message) of ``DocumentInvalid`` on its form and field, in the
        reader's language."""
        language = get_language()
        for path, english in errors:
            message = problem_text(english, language)
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
