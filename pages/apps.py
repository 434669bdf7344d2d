from django.apps import AppConfig


class PagesConfig(AppConfig):
    """Pages that read several apps (home, the title page, the profile) and seed_demo.

    The top layer: it may import every other app, and none imports it."""

    name = "pages"

    def ready(self):
        # Imported once the apps are loaded (it imports their models): the writes the
        # cached HTML fragments show that no service bumps (pages.signals).
        from pages import signals

        signals.connect()
