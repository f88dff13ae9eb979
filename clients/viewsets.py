"""The base every API view of client-owned data stands on.

``ClientScopedViewSet`` resolves the client in the URL through the caller's scope before anything
else runs: a client outside it is a 404 (decided before the body is read), an action the caller
lacks on a visible client a 403. Querysets are filtered to that client by the base class, and
subclasses cannot override the methods that do it.
"""

import uuid

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, viewsets
from rest_framework.permissions import SAFE_METHODS

from clients.models import Client
from clients.principals import Action, Principal
from clients.selectors import client_actions, clients_visible_to, consultancies_managed_by


def resolve_client(principal: Principal | None, raw_id) -> Client:
    """The client with this id among those the principal may see, else 404."""
    try:
        client_id = uuid.UUID(str(raw_id))
    except ValueError:
        raise Http404 from None
    client = clients_visible_to(principal).select_related("consultancy").filter(pk=client_id)
    found = client.first()
    if found is None:
        raise Http404
    return found


def require(actions: frozenset[Action], needed: Action) -> None:
    if needed not in actions:
        raise exceptions.PermissionDenied(
            _("This needs the '%(action)s' permission on the client.") % {"action": needed}
        )


def consultancy_for_create(principal: Principal | None, serializer_class, data):
    """For a consultancy-level create (clients, metrics, webhooks): the consultancy it goes to
    and the validated fields. 403 without the right anywhere; the body may name one of the
    caller's consultancies by slug (any other slug is a 400), and must when there are several."""
    managed = consultancies_managed_by(principal, Action.MANAGE_CLIENTS)
    if not managed.exists():
        raise exceptions.PermissionDenied(
            _("This needs a manager, an owner or a consultancy-wide key with the write scope.")
        )
    serializer = serializer_class(data=data, consultancies=managed)
    serializer.is_valid(raise_exception=True)
    fields = dict(serializer.validated_data)
    consultancy = fields.pop("consultancy", None)
    if consultancy is None:
        candidates = list(managed[:2])
        if len(candidates) > 1:
            raise exceptions.ValidationError(
                {"consultancy": [_("You manage several consultancies: name one.")]}
            )
        consultancy = candidates[0]
    return consultancy, fields


class ClientScopedViewSet(viewsets.GenericViewSet):
    """Nested under ``clients/<client_id>/``. Subclasses implement ``client_queryset(client)``."""

    client_url_kwarg = "client_id"
    read_action = Action.READ
    write_action = Action.WRITE
    _sealed = ("initial", "get_queryset")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls._sealed:
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} must not override {name}(): the tenant scope lives there. "
                    "Implement client_queryset(client) or required_action(request) instead."
                )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles
        self.principal = Principal.from_request(request)
        self.client = resolve_client(self.principal, kwargs.get(self.client_url_kwarg))
        self.client_actions = client_actions(self.principal, self.client)
        require(self.client_actions, self.required_action(request))

    def required_action(self, request) -> Action:
        return self.read_action if request.method in SAFE_METHODS else self.write_action

    def client_queryset(self, client):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no client
            return self.queryset.none()
        # Filtered here again, so a subclass's queryset can never reach another client's rows.
        return self.client_queryset(self.client).filter(client=self.client)
