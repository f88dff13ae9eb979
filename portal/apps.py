from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The pages people read, composed from every app below it: the client portal, the
    consultants' portfolio dashboard and the printable monthly report."""

    name = "portal"
    verbose_name = _("Portal")
