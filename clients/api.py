"""API: ``/clients/`` and ``/clients/{id}/audit-log/``."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from clients.models import AuditLogEntry
from clients.principals import Action, Principal
from clients.selectors import audit_log_for_client, client_actions, clients_visible_to
from clients.serializers import AuditLogEntrySerializer, ClientCreateSerializer, ClientSerializer
from clients.services.tenants import client_create, client_update
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


router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")
router.register(
    r"clients/(?P<client_id>[^/.]+)/audit-log", ClientAuditLogViewSet, basename="client-audit-log"
)
urlpatterns = router.urls
