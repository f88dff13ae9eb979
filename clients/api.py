"""API: ``/clients/``, ``/clients/{id}/audit-log/`` and ``/webhooks/``."""

import uuid
from functools import partial

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from clients.models import AuditLogEntry, WebhookSubscription
from clients.principals import Action, Principal
from clients.selectors import (
    audit_log_for_client,
    client_actions,
    clients_visible_to,
    clients_with_action,
    may_manage_webhooks,
    webhook_deliveries,
    webhooks_visible_to,
)
from clients.serializers import (
    AuditLogEntrySerializer,
    ClientCreateSerializer,
    ClientSerializer,
    WebhookCreatedSerializer,
    WebhookCreateSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
    WebhookUpdateSerializer,
)
from clients.services.tenants import client_create, client_update
from clients.services.webhooks import webhook_create, webhook_delete, webhook_ping, webhook_update
from clients.viewsets import (
    ClientScopedViewSet,
    consultancy_for_create,
    require,
    resolve_client,
)


class ClientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The clients the caller may see; owners, managers and consultancy write keys add and edit."""

    serializer_class = ClientSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_url_kwarg = "client_id"

    @property
    def principal(self) -> Principal | None:
        return Principal.from_request(self.request)

    def get_queryset(self):
        return clients_visible_to(self.principal).select_related("consultancy").order_by("name")

    def get_object(self):
        return resolve_client(self.principal, self.kwargs[self.lookup_url_kwarg])

    @extend_schema(request=ClientCreateSerializer, responses={201: ClientSerializer})
    def create(self, request, *args, **kwargs):
        consultancy, fields = consultancy_for_create(
            self.principal, ClientCreateSerializer, request.data
        )
        client = client_create(consultancy=consultancy, actor=self.principal, **fields)
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        client = self.get_object()
        require(client_actions(self.principal, client), Action.MANAGE_CLIENTS)
        serializer = ClientSerializer(client, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        client = client_update(client=client, actor=self.principal, **serializer.validated_data)
        return Response(ClientSerializer(client).data)


class ClientAuditLogViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ClientScopedViewSet):
    """What changed on the client, newest first."""

    serializer_class = AuditLogEntrySerializer
    queryset = AuditLogEntry.objects.all()

    def client_queryset(self, client):
        return audit_log_for_client(client=client)


class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook subscriptions. Owners, managers and keys with the write scope manage them; a key
    for one client sees and makes only that client's. The signing secret is in the answer to
    the POST, and nowhere else."""

    serializer_class = WebhookSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.principal = Principal.from_request(request)
        if not may_manage_webhooks(self.principal):
            raise exceptions.PermissionDenied(
                _("Webhooks are managed by owners, managers and keys with the write scope.")
            )

    queryset = WebhookSubscription.objects.none()  # for the schema; rows come from the scope

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return webhooks_visible_to(self.principal).order_by("-created_at")

    def _clients(self):
        """The clients a webhook of this caller may be narrowed to."""
        key = self.principal.api_key
        if key is not None:
            return clients_visible_to(self.principal)
        return clients_with_action(self.principal, Action.MANAGE_CLIENTS)

    @extend_schema(
        request=WebhookCreateSerializer,
        responses={201: WebhookCreatedSerializer},
        examples=[
            OpenApiExample(
                "Milestones of every client",
                request_only=True,
                value={
                    "url": "https://crm.example/hooks/waypoint",
                    "events": ["milestone.achieved", "milestone.missed"],
                    "description": "CRM",
                },
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        key = self.principal.api_key
        if key is not None and key.client_id is not None:
            # A key for one client: its client's webhooks only, in its consultancy.
            serializer = WebhookSerializer(data=request.data, clients=self._clients())
            serializer.is_valid(raise_exception=True)
            fields = dict(serializer.validated_data)
            if fields.get("client") is None:
                fields["client"] = key.client
            consultancy = key.consultancy
        else:
            consultancy, fields = consultancy_for_create(
                self.principal,
                partial(WebhookCreateSerializer, clients=self._clients()),
                request.data,
            )
            client = fields.get("client")
            if client is not None and client.consultancy_id != consultancy.pk:
                raise exceptions.ValidationError({"client": [_("Unknown client.")]})
        fields.pop("is_active", None)
        subscription, secret = webhook_create(
            consultancy=consultancy, actor=self.principal, **fields
        )
        data = WebhookCreatedSerializer(subscription).data
        data["secret"] = secret
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookUpdateSerializer, responses=WebhookSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change the URL, the events, the description or the active flag. The client a webhook
        is narrowed to is fixed when it is made."""
        subscription = self.get_object()
        serializer = WebhookUpdateSerializer(subscription, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        subscription = webhook_update(
            subscription=subscription, actor=self.principal, **serializer.validated_data
        )
        return Response(WebhookSerializer(subscription).data)

    def destroy(self, request, *args, **kwargs):
        webhook_delete(subscription=self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request, *args, **kwargs):
        """Send a ``ping`` event now and answer with its delivery: what the receiver said."""
        delivery = webhook_ping(subscription=self.get_object(), actor=self.principal)
        return Response(WebhookDeliverySerializer(delivery).data)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, *args, **kwargs):
        """The webhook's deliveries, newest first, each with its attempts."""
        page = self.paginate_queryset(webhook_deliveries(subscription=self.get_object()))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    def get_object(self):
        try:
            pk = uuid.UUID(str(self.kwargs["pk"]))
        except ValueError:
            raise Http404 from None
        return get_object_or_404(self.get_queryset(), pk=pk)


router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")
router.register(
    r"clients/(?P<client_id>[^/.]+)/audit-log", ClientAuditLogViewSet, basename="client-audit-log"
)
router.register("webhooks", WebhookViewSet, basename="webhook")
urlpatterns = router.urls
