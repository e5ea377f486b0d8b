from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "gates"
    verbose_name = "Production-readiness gates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gates import rules  # noqa: F401  (registers the gate permissions)
