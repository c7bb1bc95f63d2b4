"""``python -m devhost``: the local stand-in for ``func start``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from aiohttp import web

from .app_loader import AppLoadError, load_app
from .server import FunctionHost

REPO_ROOT = Path(__file__).resolve().parent.parent


def _serve(args: argparse.Namespace) -> int:
    app_dir = Path(args.app_dir).resolve()
    data_dir = Path(args.data_dir).resolve() if args.data_dir else app_dir / ".devhost" / "durable"
    try:
        index = load_app(app_dir)
    except AppLoadError as error:
        print(f"devhost: {error}", file=sys.stderr)
        return 2
    host = FunctionHost(index, data_dir, args.port)
    print(
        f"devhost: serving {app_dir} on http://{args.host}:{args.port} (task hub '{index.task_hub_name}', "
        f"state in {data_dir})",
        flush=True,
    )
    for function in index.http:
        methods = ",".join(sorted(function.methods)) or "*"
        route = "/".join(p for p in (index.route_prefix, function.route) if p)
        print(f"  {function.name}: [{methods}] http://{args.host}:{args.port}/{route}", flush=True)
    for name in index.orchestrators:
        print(f"  {name}: orchestrationTrigger", flush=True)
    for name in index.activities:
        print(f"  {name}: activityTrigger", flush=True)
    for name, trigger_type in index.unsupported.items():
        print(f"  {name}: {trigger_type} (not served by devhost yet)", flush=True)
    web.run_app(host.web_app(), host=args.host, port=args.port, print=None, access_log=None)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devhost", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a Functions app as `func start` does")
    serve.add_argument("--app-dir", default=str(REPO_ROOT), help="the app directory (default: this repo)")
    serve.add_argument("--port", type=int, default=7071)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument(
        "--data-dir", default=None, help="durable state directory (default: APP_DIR/.devhost/durable)"
    )
    serve.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("azure").setLevel(logging.WARNING)
    if args.command == "serve":
        return _serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
