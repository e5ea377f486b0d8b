from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "gates"
    verbose_name = "Production-readiness gates"
    default_auto_field = "django.db.models.BigAutoField"
