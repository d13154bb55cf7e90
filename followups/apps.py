from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Follow-ups"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import bulk, cards

        cards.register()
        connection_created.connect(bulk.register_sqlite_functions)
