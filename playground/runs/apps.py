from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "playground.runs"
    label = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from playground.runs import checks  # noqa: F401 (registers them)
