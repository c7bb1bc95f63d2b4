"""The app's functions, indexed once per test process: ``FunctionApp.get_functions()`` may only be
called once (a second call reports every function name as a duplicate)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def app_functions() -> tuple[Any, ...]:
    import function_app

    return tuple(function_app.app.get_functions())
