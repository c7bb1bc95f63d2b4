"""``python -m devhost``: the local stand-in for ``func start``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from aiohttp import web

from .acs import ensure_settings as ensure_acs_settings
from .app_loader import AppLoadError, load_app, load_local_settings
from .host_keys import KEYS_FILE, HostKeys, HostKeysError
from .server import FunctionHost
from .webpubsub import ensure_connection_string

REPO_ROOT = Path(__file__).resolve().parent.parent


def _serve(args: argparse.Namespace) -> int:
    app_dir = Path(args.app_dir).resolve()
    data_dir = Path(args.data_dir).resolve() if args.data_dir else app_dir / ".devhost" / "durable"
    try:
        # WEBPUBSUB_CONNECTION_STRING unset or "devhost" (environment or local.settings.json): this host
        # plays Web PubSub. Set before the app is imported, as the app reads it.
        load_local_settings(app_dir)
        # As `func start` does: the app learns its own host (apps refuse to call themselves with it).
        os.environ["WEBSITE_HOSTNAME"] = f"localhost:{args.port}"
        names_stand_in = os.environ.get("WEBPUBSUB_CONNECTION_STRING", "").strip().lower() == "devhost"
        ensure_connection_string(os.environ, data_dir, args.port)
        names_acs_stand_in = os.environ.get("ACS_CONNECTION_STRING", "").strip().lower() == "devhost"
        ensure_acs_settings(os.environ, data_dir, args.port)  # ACS_CONNECTION_STRING unset or "devhost"
        index = load_app(app_dir)
        index.uses_webpubsub = index.uses_webpubsub or names_stand_in
        index.uses_acs = index.uses_acs or names_acs_stand_in
        keys = HostKeys.load_or_create(data_dir)
    except (AppLoadError, HostKeysError) as error:
        print(f"devhost: {error}", file=sys.stderr)
        return 2
    try:
        host = FunctionHost(index, data_dir, args.port, keys)
    except ValueError as error:  # a setting the host cannot serve (FUNCTIONS_WORKER_PROCESS_COUNT)
        print(f"devhost: {error}", file=sys.stderr)
        return 2
    _print_keys(keys, data_dir)
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
    for name in index.entities:
        print(f"  {name}: entityTrigger", flush=True)
    for name, timer in index.timers.items():
        flags = ["runOnStartup"] if timer.run_on_startup else []
        flags += ["useMonitor"] if host.timers.monitored[name] else []
        upcoming = host.timers.next_occurrence(name)
        when = f"next {upcoming:%Y-%m-%d %H:%M:%S} UTC" if upcoming else "no further occurrence"
        extra = f", {', '.join(flags)}" if flags else ""
        print(f"  {name}: timerTrigger '{timer.schedule}' ({when}{extra})", flush=True)
    if index.timers and os.environ.get("WEBSITE_TIME_ZONE"):
        print("  (WEBSITE_TIME_ZONE is set, but devhost runs timer schedules in UTC)", flush=True)
    for name, triggered in index.triggered.items():
        print(f"  {name}: {triggered.describe(f'http://{args.host}:{args.port}')}", flush=True)
    for name, trigger_type in index.unsupported.items():
        print(f"  {name}: {trigger_type} (not served by devhost yet)", flush=True)
    if host.webpubsub is not None:
        wps = host.webpubsub
        handler = wps.handler_url() or "none (WEBPUBSUB_EVENT_HANDLER_PATH is empty)"
        print(
            f"  Web PubSub stand-in: hub '{wps.config.hub}' at {wps.client_url()} "
            f"(REST {wps.config.endpoint}/api/hubs/{wps.config.hub}, events to {handler})",
            flush=True,
        )
    if host.acs is not None:
        incoming = host.acs.incoming_call_url() or "nowhere (DEVHOST_ACS_INCOMING_CALL_URL is empty)"
        print(
            f"  ACS stand-in: Call Automation at {host.acs.config.endpoint}/calling/ (callback keys "
            f"{host.acs.config.endpoint}/calling/keys, resource id {host.acs.config.resource_id}), "
            f"IncomingCall to {incoming.split('code=')[0].rstrip('?&')}, "
            f"control API {host.acs.config.endpoint}/devhost/acs/calls",
            flush=True,
        )
    web.run_app(host.web_app(), host=args.host, port=args.port, print=None, access_log=None)
    return 0


def _print_keys(keys: HostKeys, data_dir: Path) -> None:
    """The keys go to stderr (kept out of stdout, which scripts may read), as the host's admin needs them."""
    print(
        f"devhost: master key (x-functions-key header or ?code=, for /admin/* and the durable API): "
        f"{keys.master}\n"
        f"devhost: durabletask_extension system key (the durable API only; in its status URLs): "
        f"{keys.durable}\n"
        f"devhost: eventgrid_extension system key (the Event Grid trigger's webhook, as code=): "
        f"{keys.eventgrid}\n"
        f"devhost: keys kept in {data_dir / KEYS_FILE} (delete it for new ones)",
        file=sys.stderr,
        flush=True,
    )


def _token(args: argparse.Namespace) -> int:
    """Print a bearer token for ``--user``, signed with the local key the app checks tokens with.

    The platform's own modules are imported here, not at the top: ``serve`` hosts any app.
    """
    from shared.auth.tokens import mint_local_token
    from shared.management.users import normalize_email
    from shared.settings import SettingsError, load_settings

    try:
        # The app's local.settings.json, as `serve` reads it (variables already set win).
        load_local_settings(Path(args.app_dir).resolve())
        settings = load_settings(os.environ)
    except (AppLoadError, SettingsError) as error:
        print(f"devhost: {error}", file=sys.stderr)
        return 2
    if not settings.is_local:
        print(
            f"devhost: local tokens exist only in local mode, and OMNI_ENVIRONMENT is "
            f"{settings.environment!r}: set OMNI_ENVIRONMENT=local (in Azure, sign in with Entra ID).",
            file=sys.stderr,
        )
        return 2
    try:
        email = normalize_email(args.user)
    except ValueError:
        print(f"devhost: --user {args.user!r} is not a valid email address.", file=sys.stderr)
        return 2
    print(mint_local_token(settings, email, args.name), flush=True)
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
    token = commands.add_parser("token", help="print a bearer token of /manage for a user (local mode only)")
    token.add_argument("--user", required=True, help="the user's email, e.g. alice@example.com")
    token.add_argument("--name", default=None, help="the user's display name")
    token.add_argument("--app-dir", default=str(REPO_ROOT), help="the app whose local.settings.json to read")
    token.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("azure").setLevel(logging.WARNING)
    if args.command == "serve":
        return _serve(args)
    if args.command == "token":
        return _token(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
