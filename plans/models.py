"""A client's strategy plan: the KPI tree with its targets, milestones and funnels.

Every row carries ``client`` (the tenant key). Document keys (``key``) are the plan document's
own handles, unique within a plan, so an edit of the document can match rows by key and keep
their ids, history and achievements.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clients.exactjson import ExactJSONField
from clients.models import Client
from metrics import display
from metrics.models import GRANULARITY_CHOICES, VALUE_DIGITS, VALUE_PLACES, Metric
from metrics.periods import Granularity, Period


def _value(**kwargs):
    return models.DecimalField(max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, **kwargs)


class Plan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="plans", verbose_name=_("client")
    )
    name = models.CharField(_("name"), max_length=200)
    vision = models.TextField(_("vision"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(status="active"), name="plan_one_active_per_client"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="plan_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.name


class KpiNode(models.Model):
    class Interpolation(models.TextChoices):
        LINEAR = "linear", _("linear")
        COMPOUND = "compound", _("compound")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="kpis", verbose_name=_("plan")
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    key = models.CharField(_("key"), max_length=64)
    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, related_name="+", verbose_name=_("metric")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    weight = _value(default=1)
    baseline_period = models.CharField(_("baseline period"), max_length=10)
    baseline_value = _value()
    must = _value()
    stretch = _value(null=True, blank=True)
    target_period = models.CharField(_("target period"), max_length=10)
    granularity = models.CharField(
        max_length=7,
        choices=GRANULARITY_CHOICES,
        default=Granularity.MONTH.value,
        verbose_name=_("granularity"),
    )
    interpolation = models.CharField(
        max_length=10,
        choices=Interpolation.choices,
        default=Interpolation.LINEAR,
        verbose_name=_("interpolation"),
    )
    formula = models.CharField(_("formula"), max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="kpi_key_unique_in_plan"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="kpi_weight_not_negative"),
        ]

    def __str__(self):
        return self.key


class Milestone(models.Model):
    class Kind(models.TextChoices):
        STATE = "state", _("state")
        EVENT = "event", _("event")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("plan")
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    key = models.CharField(_("key"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    due = models.DateField(_("due"))
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    achieved_on = models.DateField(_("achieved on"), null=True, blank=True)
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="milestone_key_unique_in_plan"),
        ]

    def __str__(self):
        return self.name


class MilestoneCondition(models.Model):
    class Op(models.TextChoices):
        GTE = "gte", "≥"
        LTE = "lte", "≤"

    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="conditions", verbose_name=_("milestone")
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, related_name="+", verbose_name=_("metric")
    )
    op = models.CharField(max_length=3, choices=Op.choices, verbose_name=_("comparison"))
    value = _value()
    cumulative = models.BooleanField(default=False, verbose_name=_("cumulative"))
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["position"]

    def __str__(self):
        return f"{self.metric_id} {self.op} {self.value}"


class Funnel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="funnels", verbose_name=_("plan")
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    key = models.CharField(_("key"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("funnel")
        verbose_name_plural = _("funnels")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="funnel_key_unique_in_plan"),
        ]

    def __str__(self):
        return self.name


class FunnelStage(models.Model):
    funnel = models.ForeignKey(
        Funnel, on_delete=models.CASCADE, related_name="stages", verbose_name=_("funnel")
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    name = models.CharField(_("name"), max_length=200)
    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, related_name="+", verbose_name=_("metric")
    )
    target_conversion = models.DecimalField(
        _("target conversion"), max_digits=7, decimal_places=6, null=True, blank=True
    )
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("funnel stage")
        verbose_name_plural = _("funnel stages")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["funnel", "name"], name="stage_name_unique_in_funnel"),
            models.CheckConstraint(
                condition=Q(target_conversion__isnull=True)
                | (Q(target_conversion__gt=0) & Q(target_conversion__lte=1)),
                name="stage_target_conversion_range",
            ),
        ]

    def __str__(self):
        return self.name


# --- computed results ---------------------------------------------------------------------------


class ScorecardSnapshot(models.Model):
    """A plan held against the actuals for one month, as of the end of it (or of the day it was
    computed, for the month in progress). ``fingerprint`` digests every input — measurements up
    to the as-of date, the plan and its targets, metric definitions, tolerance, the as-of date —
    so unchanged inputs are never recomputed. The columns beside ``payload`` feed the portfolio."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="scorecards", verbose_name=_("plan")
    )
    period_start = models.DateField(_("month"))
    as_of = models.DateField(_("as of"))
    fingerprint = models.CharField(max_length=64, verbose_name=_("inputs fingerprint"))
    computed_at = models.DateTimeField(_("computed at"))
    score = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, verbose_name=_("score")
    )
    health = models.CharField(_("health"), max_length=7)
    off_track = models.PositiveIntegerField(default=0, verbose_name=_("off track"))
    at_risk = models.PositiveIntegerField(default=0, verbose_name=_("at risk"))
    bottleneck = models.CharField(_("bottleneck"), max_length=200, blank=True)
    next_milestone = models.JSONField(null=True, blank=True, verbose_name=_("next milestone"))
    milestone_statuses = models.JSONField(
        default=dict, verbose_name=_("milestone statuses")
    )  # key -> status, to see what changed
    payload = ExactJSONField()

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period_start"], name="scorecard_one_per_plan_month"
            ),
        ]
        indexes = [models.Index(fields=["client", "-period_start"], name="scorecard_client_month")]

    def __str__(self):
        month = Period.containing(Granularity.MONTH, self.period_start)
        return f"{self.plan} — {display.period(month, get_language())}"


class BottleneckReport(models.Model):
    """One funnel of a plan for one month, computed with the scorecard (same fingerprint). A plan
    without funnels has one report with ``funnel_key`` empty: no stages, its KPI sensitivity."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="bottleneck_reports", verbose_name=_("plan")
    )
    period_start = models.DateField(_("month"))
    funnel_key = models.CharField(max_length=64, blank=True, verbose_name=_("funnel key"))
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    fingerprint = models.CharField(max_length=64, verbose_name=_("inputs fingerprint"))
    computed_at = models.DateTimeField(_("computed at"))
    payload = ExactJSONField()

    class Meta:
        verbose_name = _("bottleneck report")
        verbose_name_plural = _("bottleneck reports")
        ordering = ["-period_start", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period_start", "funnel_key"], name="report_one_per_funnel_month"
            ),
        ]

    def __str__(self):
        return f"{self.plan} {self.period_start:%Y-%m} {self.funnel_key or '-'}"


class Scenario(models.Model):
    """A what-if the consultant keeps for a plan: some KPIs changed for a month (a value, or a
    relative change of the actual). Its outcome is computed when it is read, so it follows the
    data; only the question is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="scenarios", verbose_name=_("plan")
    )
    name = models.CharField(_("name"), max_length=200)
    period = models.CharField(_("month"), max_length=7)  # 2026-09
    # [{"kpi", "value"} | {"kpi", "change_pct"}], numbers as exact decimals
    changes = ExactJSONField(_("changes"), default=list)
    created_by = models.CharField(_("created by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["created_at"]

    def __str__(self):
        return self.name
