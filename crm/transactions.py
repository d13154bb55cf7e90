"""Work that follows a change once it is committed."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def after_commit(func: Callable[..., object], *args: object) -> None:
    """Call func(*args) once the current transaction commits (never if it rolls back).
    An error in it is logged and neither undoes nor fails the change (a robust hook).

    A plain function rather than functools.partial: Django names the hook in its log
    message by its __qualname__, which a partial lacks, and the hook's error would then
    escape as an AttributeError after the commit."""

    def hook() -> None:
        func(*args)

    hook.__qualname__ = getattr(func, "__qualname__", hook.__qualname__)
    transaction.on_commit(hook, robust=True)
