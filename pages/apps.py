from django.apps import AppConfig


class PagesConfig(AppConfig):
    """Pages that read several apps (home, the title page, the profile) and seed_demo.

    The top layer: it may import every other app, and none imports it."""

    name = "pages"

    def ready(self):
        from pages import signals

        # The writes the cached HTML fragments show that no service bumps (pages.signals).
        signals.connect()
