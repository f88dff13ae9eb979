"""``{% status_badge line.status %}`` and ``{% health_badge snapshot.health %}``: a verdict as a
word, an icon and a colour (``plans/partials/badge.html``, styled by plans/display.css)."""

from django import template

from plans import display

register = template.Library()


@register.inclusion_tag("plans/partials/badge.html")
def status_badge(status):
    return {"badge": display.status_badge(status), "kind": "status", "value": status}


@register.inclusion_tag("plans/partials/badge.html")
def health_badge(health):
    return {"badge": display.health_badge(health), "kind": "health", "value": health or "no_data"}


@register.inclusion_tag("plans/partials/badge.html")
def reaches_badge(meets_must, meets_stretch):
    """A scenario's KGI against its targets: reaches the stretch, the must, or falls short."""
    badge = display.reaches_badge(meets_must, meets_stretch)
    if badge is None:
        return {"badge": None}
    value = "stretch" if meets_stretch else "must" if meets_must else "short"
    return {"badge": badge, "kind": "reaches", "value": value}


@register.simple_tag
def status_word(status):
    """The status as a word alone (for a select's option, where no markup goes)."""
    return display.status_badge(status).word


@register.simple_tag
def health_word(health):
    return display.health_badge(health).word
