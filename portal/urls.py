"""The portal's pages, under /portal/ (docs/architecture.md, "Where a new feature goes")."""

app_name = "portal"
urlpatterns: list = []
