"""The metric catalogue and the measurements partner tools and consultants feed in."""

from decimal import Decimal

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clients.models import ApiKey, Client, Consultancy, User
from metrics.formulas import KEY_PATTERN
from metrics.periods import Granularity, Period

# At most 20 digits, 6 of them after the point (DESIGN.md, "Metrics and periods").
VALUE_DIGITS, VALUE_PLACES = 20, 6


def _plain(value: Decimal) -> str:
    """A stored decimal without its padding: 26854.000000 → 26854."""
    return f"{value.normalize():f}"


# The granularities, most used first, as people read them.
GRANULARITY_CHOICES = [
    (Granularity.MONTH.value, _("month")),
    (Granularity.QUARTER.value, _("quarter")),
    (Granularity.YEAR.value, _("year")),
    (Granularity.WEEK.value, _("week")),
    (Granularity.DAY.value, _("day")),
]


class Metric(models.Model):
    """A built-in metric (no consultancy) or a consultancy's own, which may not shadow one."""

    class Unit(models.TextChoices):
        MONEY = "money", _("money (the client's currency)")
        COUNT = "count", _("count")
        RATIO = "ratio", _("ratio (0.15 = 15%)")
        MULTIPLE = "multiple", _("multiple (5 = 5 times)")
        DAYS = "days", _("days")
        SCORE = "score", _("score")
        PEOPLE = "people", _("people")

    class Direction(models.TextChoices):
        HIGHER = "higher_is_better", _("higher is better")
        LOWER = "lower_is_better", _("lower is better")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("sum (flows, e.g. leads)")
        LAST = "last", _("last value (stocks, e.g. MRR)")
        AVG = "avg", _("mean (levels, e.g. NPS)")

    consultancy = models.ForeignKey(
        Consultancy,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="metrics",
        verbose_name=_("consultancy"),
    )
    key = models.CharField(
        _("key"),
        max_length=64,
        validators=[
            RegexValidator(
                rf"^{KEY_PATTERN}\Z",
                _("Lower-case letters, digits and _, starting with a letter."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=120)
    name_ja = models.CharField(_("Japanese name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    aggregation = models.CharField(_("aggregation"), max_length=10, choices=Aggregation.choices)
    formula = models.CharField(
        _("formula"),
        max_length=500,
        blank=True,
        help_text=_("Derived metrics only: e.g. mrr * 12 or ltv / cac."),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(consultancy__isnull=True),
                name="metric_builtin_key_unique",
            ),
            models.UniqueConstraint(
                fields=["consultancy", "key"], name="metric_consultancy_key_unique"
            ),
        ]

    def __str__(self):
        return self.key  # stable: audit entries keep it as they were written

    @property
    def display_name(self) -> str:
        """The name in the reader's language."""
        return self.name_ja if (get_language() or "").startswith("ja") else self.name

    @property
    def is_builtin(self) -> bool:
        return self.consultancy_id is None

    @property
    def is_derived(self) -> bool:
        return bool(self.formula)


class Measurement(models.Model):
    """One value per (client, metric, period). Written by upsert; every change keeps history."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="measurements", verbose_name=_("client")
    )
    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, related_name="measurements", verbose_name=_("metric")
    )
    granularity = models.CharField(
        max_length=7,
        choices=GRANULARITY_CHOICES,
        verbose_name=_("granularity"),
    )
    period_start = models.DateField(verbose_name=_("period start"))
    value = models.DecimalField(
        max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, verbose_name=_("value")
    )
    source = models.CharField(max_length=100, blank=True, verbose_name=_("source"))
    # Who wrote it. No database constraint: PostgreSQL checks foreign keys row by row at
    # commit, and these two would double the cost of a 10,000-row batch for a note that the ORM
    # still clears (SET_NULL) when the user or key goes.
    recorded_by_user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("recorded by user"),
    )
    recorded_by_key = models.ForeignKey(
        ApiKey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("recorded by key"),
    )
    recorded_at = models.DateTimeField(default=timezone.now, verbose_name=_("recorded at"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "metric", "granularity", "period_start"],
                name="measurement_one_per_period",
            ),
        ]

    def __str__(self):
        return f"{self.metric} {self.period} = {_plain(self.value)}"

    @property
    def period(self) -> Period:
        return Period(Granularity(self.granularity), self.period_start)


class MeasurementHistory(models.Model):
    """Every change of a measurement's value: the measurements' own audit trail.

    Written only by the upsert, in the same statement as the change it records, so its
    references are right by construction; they carry no database constraints (checked row by
    row at commit, they would cost as much as the measurements' own). The ORM still cascades.
    """

    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        verbose_name=_("client"),
    )
    metric = models.ForeignKey(
        Metric,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name=_("metric"),
    )
    granularity = models.CharField(max_length=7, verbose_name=_("granularity"))
    period_start = models.DateField(verbose_name=_("period start"))
    old_value = models.DecimalField(
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
        verbose_name=_("old value"),
    )
    new_value = models.DecimalField(
        max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, verbose_name=_("new value")
    )
    source = models.CharField(max_length=100, blank=True, verbose_name=_("source"))
    changed_by_user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("changed by user"),
    )
    changed_by_key = models.ForeignKey(
        ApiKey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("changed by key"),
    )
    changed_at = models.DateTimeField(default=timezone.now, verbose_name=_("changed at"))
    batch = models.UUIDField(db_index=True, verbose_name=_("batch"))

    class Meta:
        verbose_name = _("measurement change")
        verbose_name_plural = _("measurement history")
        indexes = [
            models.Index(
                fields=["client", "metric", "granularity", "period_start"],
                name="measurement_history_lookup",
            ),
        ]

    def __str__(self):
        old = "–" if self.old_value is None else _plain(self.old_value)
        return f"{self.metric} {self.period}: {old} → {_plain(self.new_value)}"

    @property
    def period(self) -> Period:
        return Period(Granularity(self.granularity), self.period_start)
