"""What the polling triggers (queue, blob) share: the host's call of a triggered function, and one
background loop per function, started and stopped with the host."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from .spec import TriggeredFunction

# (function, trigger argument, binding data, invocation id) -> the function's result.
Invoke = Callable[[TriggeredFunction, Any, dict[str, Any], str], Awaitable[Any]]


class FunctionLoops:
    """Runs ``_loop(function)`` as a task for each function until ``stop``."""

    def __init__(self, functions: list[TriggeredFunction]) -> None:
        self.functions = functions
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for function in self.functions:
            self._tasks.append(asyncio.ensure_future(self._loop(function)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _loop(self, function: TriggeredFunction) -> None:
        raise NotImplementedError
