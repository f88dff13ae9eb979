"""Questionnaire templates: a consultancy's own copy of one, and its edits, versioned so that
every run keeps the questions it was answered on."""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from clients.models import Consultancy
from clients.services.audit import audit_record
from diagnostics.builtin import BUILTIN_TEMPLATES
from diagnostics.definition import Definition, DefinitionInvalid, read_definition
from diagnostics.models import DiagnosticTemplate


def definition_of(template: DiagnosticTemplate) -> Definition:
    return read_definition(template.definition)


@transaction.atomic
def template_copy(
    *, template: DiagnosticTemplate, consultancy: Consultancy, key: str, actor
) -> DiagnosticTemplate:
    """The consultancy's own editable copy of a template, under a key of its own."""
    document = copy.deepcopy(template.definition)
    document["key"] = key
    try:
        read_definition(document)
    except DefinitionInvalid as exc:
        raise ValidationError({"key": [message for _path, message in exc.errors]}) from exc
    if (
        key in {doc["key"] for doc in BUILTIN_TEMPLATES}
        or DiagnosticTemplate.objects.filter(consultancy=consultancy, key=key).exists()
    ):
        raise ValidationError({"key": [f"{key!r} is taken; choose another key."]})
    created = DiagnosticTemplate.objects.create(
        consultancy=consultancy,
        key=key,
        version=1,
        name=document["name"],
        name_ja=document["name_ja"],
        definition=document,
        copied_from=template,
    )
    audit_record(
        actor=actor,
        action="diagnostic_template.copied",
        obj=created,
        consultancy=consultancy,
        after={"key": key, "from": f"{template.key} v{template.version}"},
    )
    return created


@transaction.atomic
def template_update(*, template: DiagnosticTemplate, raw, actor) -> DiagnosticTemplate:
    """Change a consultancy's template. Raises DefinitionInvalid. While no run uses this version
    it changes in place; after that the change is the next version, so every run keeps the
    questions it was answered on."""
    if template.builtin:
        raise ValidationError("Built-in templates are read-only: copy one to change it.")
    definition = read_definition(raw)
    if definition.key != template.key:
        raise DefinitionInvalid([("key", "the key of a template does not change")])
    before = template.definition
    if template.runs.exists():
        latest = DiagnosticTemplate.objects.filter(
            consultancy=template.consultancy, key=template.key
        ).aggregate(Max("version"))["version__max"]
        template = DiagnosticTemplate(
            consultancy=template.consultancy,
            key=template.key,
            version=latest + 1,
            copied_from=template.copied_from,
        )
    template.name, template.name_ja, template.definition = definition.name, definition.name_ja, raw
    template.save()
    audit_record(
        actor=actor,
        action="diagnostic_template.updated",
        obj=template,
        consultancy=template.consultancy,
        before=before,
        after=raw,
    )
    return template
