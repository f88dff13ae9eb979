from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Clients and access")

    def ready(self):
        from clients import demo, schema  # noqa: F401  (schema registers an OpenAPI extension)

        demo.register_step(order=10, name="consultancy", step=demo.consultancy_with_owner)
        demo.register_step(order=20, name="clients", step=demo.clients_and_people)
