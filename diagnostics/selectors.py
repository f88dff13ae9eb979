"""Reads of diagnostics, each starting from the caller's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from clients.models import Client
from clients.selectors import consultancies_of
from diagnostics.models import DiagnosticRun, DiagnosticTemplate


def templates_for_consultancies(consultancy_ids) -> QuerySet[DiagnosticTemplate]:
    """Built-in templates and the consultancies' own, every version."""
    return DiagnosticTemplate.objects.filter(
        Q(consultancy__isnull=True) | Q(consultancy_id__in=consultancy_ids)
    )


def templates_visible_to(principal) -> QuerySet[DiagnosticTemplate]:
    return templates_for_consultancies(consultancies_of(principal).values("pk"))


def latest_versions(templates: QuerySet[DiagnosticTemplate]) -> list[DiagnosticTemplate]:
    """The newest version of each (consultancy, key), ordered by key."""
    newest = {}
    for template in templates.order_by("key", "consultancy_id", "-version"):
        newest.setdefault((template.consultancy_id, template.key), template)
    return sorted(newest.values(), key=lambda t: (t.key, t.consultancy_id is not None))


def template_for_client(*, client: Client, key: str) -> DiagnosticTemplate | None:
    """The newest version of the template with this key the client's consultancy may use."""
    found = [
        t
        for t in latest_versions(templates_for_consultancies([client.consultancy_id]))
        if t.key == key
    ]
    return found[0] if found else None


def runs_for_client(*, client: Client) -> QuerySet[DiagnosticRun]:
    return DiagnosticRun.objects.filter(client=client).select_related("template")
