"""Diagnostic templates (versioned documents) and the runs answered on them."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clients.exactjson import ExactJSONField
from clients.models import Client, Consultancy, Job


class DiagnosticTemplate(models.Model):
    """One version of a questionnaire. Built-in templates have no consultancy and are read-only;
    a consultancy's copy is its own, editable while no run uses that version (an edit after
    that makes the next version). ``definition`` is the document ``diagnostics.definition``
    reads."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consultancy = models.ForeignKey(
        Consultancy,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="diagnostic_templates",
        verbose_name=_("consultancy"),
    )
    key = models.CharField(_("key"), max_length=64)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    name_ja = models.CharField(_("Japanese name"), max_length=200)
    definition = ExactJSONField(_("definition"))
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("copied from"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("diagnostic template")
        verbose_name_plural = _("diagnostic templates")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"],
                condition=Q(consultancy__isnull=True),
                name="diagnostic_builtin_key_version",
            ),
            models.UniqueConstraint(
                fields=["consultancy", "key", "version"], name="diagnostic_key_version"
            ),
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"  # stable: audit entries keep it

    @property
    def display_name(self) -> str:
        """The name in the reader's language."""
        return self.name_ja if (get_language() or "").startswith("ja") else self.name

    @property
    def builtin(self) -> bool:
        return self.consultancy_id is None


class DiagnosticRun(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        SCORED = "scored", _("scored")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="diagnostic_runs", verbose_name=_("client")
    )
    template = models.ForeignKey(
        DiagnosticTemplate,
        on_delete=models.PROTECT,
        related_name="runs",
        verbose_name=_("template"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    answers = ExactJSONField(_("answers"), default=dict, blank=True)
    result = ExactJSONField(_("result"), null=True, blank=True)
    job = models.ForeignKey(
        Job,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("job"),
    )
    started_by = models.CharField(_("started by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("diagnostic run")
        verbose_name_plural = _("diagnostic runs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.template.name} — {self.client} ({self.created_at:%Y-%m-%d})"
