from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Pieces every app shares (charts, posters, redirects, sorting, template filters).

    The bottom layer: it imports no other project app.
    """

    name = "core"
