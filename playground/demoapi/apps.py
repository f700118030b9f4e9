"""The demo API as a Django app: it contributes the `demoapi` management command."""

from django.apps import AppConfig


class DemoApiConfig(AppConfig):
    """A slow, flaky aiohttp service for the playground's requests to hit."""

    name = "playground.demoapi"
    label = "demoapi"
    verbose_name = "Demo API"
