from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Clients and access")

    def ready(self):
        from clients import demo

        demo.register_step(order=10, name="consultancy", step=demo.consultancy_with_owner)
