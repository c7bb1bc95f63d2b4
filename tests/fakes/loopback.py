"""An aiohttp application served on 127.0.0.1 from a thread of its own (its own event loop), so a test's
synchronous code (SDK clients, ``requests``, a devhost subprocess) can talk to it. The loopback fakes
(``scripted_openai``, ``marketplace``) are such servers: they add their routes and state.

    with MyFake() as fake:   # started: fake.port is bound
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from types import TracebackType
from typing import Self

from aiohttp import web


class LoopbackServer:
    """Subclasses add their routes in ``add_routes`` (called on the server's loop) and may release
    waiting handlers in ``before_stop``."""

    thread_name = "loopback-server"

    def __init__(self, *, port: int = 0, ssl_context: ssl.SSLContext | None = None) -> None:
        self._requested_port = port
        self._ssl_context = ssl_context
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def before_stop(self) -> None:
        """Runs on the server's loop before it shuts down (e.g. to end streams that wait)."""

    def start(self) -> Self:
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as error:  # reported to start()
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name=self.thread_name, daemon=True)
        self._thread.start()
        ready.wait(timeout=10)
        if failure:
            raise RuntimeError(f"{type(self).__name__} did not start") from failure[0]
        return self

    async def _serve(self) -> None:
        app = web.Application()
        self.add_routes(app)
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self._requested_port, ssl_context=self._ssl_context)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            await self.before_stop()
            if self._runner is not None:
                await self._runner.cleanup()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
