"""``python -m workers.tool_sockets --port P [--host H]``: serve the worker's internal API.

Environment: ``OMNI_TOOL_SOCKETS_SECRET`` (the bearer both sides use), ``OMNI_APP_URL`` (where pushes
go), ``OMNI_ENVIRONMENT`` (``local`` allows loopback and private tool servers).
"""

from __future__ import annotations

import argparse
import logging
import os

from aiohttp import web

from workers.tool_sockets.server import WorkerSettings, make_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workers.tool_sockets")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = WorkerSettings.from_env(dict(os.environ))
    web.run_app(make_app(settings), host=arguments.host, port=arguments.port, print=None)


if __name__ == "__main__":
    main()
