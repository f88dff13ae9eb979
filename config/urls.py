"""Top-level URLs: probes, accounts, admin, the portal, the language switch, the API."""

import sys

from django.contrib import admin
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from clients import api as clients_api
from clients.middleware import database_unavailable, database_unavailable_response
from clients.problems import api_not_found, api_server_error
from clients.views import home
from config.health import healthz, readyz
from diagnostics import api as diagnostics_api
from metrics import api as metrics_api
from plans import api as plans_api
from plans import results_api

API_PREFIX = "/api/"

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the pages allow no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-v1:schema"), name="docs"),
    *clients_api.urlpatterns,
    *metrics_api.urlpatterns,
    *plans_api.urlpatterns,
    *results_api.urlpatterns,
    *diagnostics_api.urlpatterns,
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
    path("api/v1/", include((api_v1, "api-v1"))),
]


def handler404(request, exception):
    if request.path.startswith(API_PREFIX):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def handler500(request):
    # A database outage met outside a view (a middleware's query) is still a 503.
    if database_unavailable(sys.exc_info()[1] or Exception()):
        return database_unavailable_response(request)
    if request.path.startswith(API_PREFIX):
        return api_server_error(request)
    return defaults.server_error(request)
