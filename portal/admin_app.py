"""Django's admin, on Waypoint's admin site: named in INSTALLED_APPS in place of
``django.contrib.admin``, as Django's docs describe for a custom default site."""

from django.contrib.admin.apps import AdminConfig


class WaypointAdminConfig(AdminConfig):
    default_site = "portal.admin_site.WaypointAdminSite"

    def ready(self):
        super().ready()  # loads every app's admin module
        from django.contrib import admin

        from portal import admin_beat

        admin_beat.register(admin.site)
