"""The API documentation page: ninja's Swagger UI, served from our own files, in our layout."""

from ninja.openapi.docs import Swagger


class Docs(Swagger):
    # Not "ninja/swagger.html": ninja is earlier in INSTALLED_APPS, so its own template would win.
    template = "api/docs.html"
