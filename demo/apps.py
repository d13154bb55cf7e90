from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data of `make run` (`manage.py seed_demo`) and the factories it and the
    tests build it with. Installed with DEBUG on and in the tests, never in production."""

    name = "demo"
    verbose_name = "Demo data"
