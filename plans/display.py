"""How the plans app's verdicts look: each status and health as a translated word, an icon and
a colour (never colour alone), for ``{% status_badge %}`` and ``{% health_badge %}``."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class Badge:
    word: Promise | str
    icon: str
    tone: str  # good | fine | warn | bad | none: the colour, in plans/static/plans/display.css
    help: Promise | str = ""


# A KPI line's status and a milestone's status (DESIGN, "Scorecard arithmetic").
STATUSES = {
    "exceeded": Badge(
        pgettext_lazy("status", "Exceeded"), "★", "good", _("meets or beats the stretch target")
    ),
    "on_track": Badge(
        pgettext_lazy("status", "On track"), "✓", "fine", _("meets or beats the must target")
    ),
    "at_risk": Badge(
        pgettext_lazy("status", "At risk"), "▲", "warn", _("below the must target, but close")
    ),
    "off_track": Badge(
        pgettext_lazy("status", "Off track"), "✕", "bad", _("well below the must target")
    ),
    "no_data": Badge(pgettext_lazy("status", "No data"), "–", "none", _("no value yet")),
    "achieved": Badge(pgettext_lazy("status", "Achieved"), "✓", "good", _("every condition held")),
    "missed": Badge(pgettext_lazy("status", "Missed"), "✕", "bad", _("due, and not achieved")),
    "pending": Badge(
        pgettext_lazy("status", "Pending"), "…", "none", _("too little data to judge yet")
    ),
}
HEALTH = {
    "green": Badge(pgettext_lazy("health", "Healthy"), "●", "good", _("score 90 or more")),
    "amber": Badge(
        pgettext_lazy("health", "Needs attention"), "▲", "warn", _("score 70 to under 90")
    ),
    "red": Badge(pgettext_lazy("health", "In trouble"), "✕", "bad", _("score under 70")),
    "no_data": Badge(pgettext_lazy("health", "No data"), "–", "none", _("no KPI has a value")),
}


# A planned value (a scenario's KGI) against its targets.
REACHES = {
    "stretch": Badge(
        pgettext_lazy("target", "Reaches stretch"), "★", "good", _("meets or beats the stretch")
    ),
    "must": Badge(
        pgettext_lazy("target", "Reaches must"), "✓", "fine", _("meets or beats the must")
    ),
    "short": Badge(pgettext_lazy("target", "Short of must"), "✕", "bad", _("below the must")),
}


def reaches_badge(meets_must: bool | None, meets_stretch: bool | None) -> Badge | None:
    """What a planned value reaches; None when it has no value or no must to hold it to."""
    if meets_stretch:
        return REACHES["stretch"]
    if meets_must is None:
        return None
    return REACHES["must"] if meets_must else REACHES["short"]


def status_badge(status: str | None) -> Badge:
    return STATUSES.get(status or "no_data", Badge(status or "", "?", "none"))


def health_badge(health: str | None) -> Badge:
    return HEALTH.get(health or "no_data", Badge(health or "", "?", "none"))
