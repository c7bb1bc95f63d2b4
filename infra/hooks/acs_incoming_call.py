"""azd postdeploy hook of the `api` service: ACS's IncomingCall events go to the function acs_incoming_call.

infra/modules/phone.bicep creates the Event Grid system topic of the Azure Communication Services resource,
but not this subscription to it. Event Grid checks the endpoint when a subscription is created, and the
function does not exist until `azd deploy` has uploaded the code, which azd does after provisioning: on the
first `azd up` a subscription declared in Bicep would fail. So it is created here, after each deploy of the
api service (creating it again updates it in place).

The endpoint type is `AzureFunction` (the function's resource id), not a WebHook to
/runtime/webhooks/eventgrid?functionName=acs_incoming_call&code=<eventgrid_extension system key>: Event Grid
then fetches the key itself, nothing secret is written anywhere, and there is no validation handshake to
wait for. The host serves the same trigger either way (and answers the handshake of a WebHook subscription).

Delivery: an IncomingCall is worth answering only while the phone rings, so an event Event Grid could not
deliver within a minute is dropped (event TTL 1 minute, at most 3 attempts) instead of answering a call
that is gone.

It runs the Azure CLI (`az`), signed in to the subscription of the azd environment. Without it (or not signed
in) it prints the command to run by hand and exits 0: the deployment stands, but calls reach the app only
once the subscription exists. Environment (azd passes its values to hooks): AZURE_SUBSCRIPTION_ID,
AZURE_RESOURCE_GROUP and the outputs AZURE_ACS_SYSTEM_TOPIC_NAME and AZURE_ACS_INCOMING_CALL_FUNCTION_ID of
infra/main.bicep.

Standard library only:
    python3 infra/hooks/acs_incoming_call.py [--print]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

SUBSCRIPTION_NAME = "acs-incoming-call"
INCOMING_CALL_EVENT = "Microsoft.Communication.IncomingCall"
EVENT_TTL_MINUTES = 1
MAX_DELIVERY_ATTEMPTS = 3
REQUIRED = (
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_RESOURCE_GROUP",
    "AZURE_ACS_SYSTEM_TOPIC_NAME",
    "AZURE_ACS_INCOMING_CALL_FUNCTION_ID",
)
# Flex Consumption lists a function once the host has synced the triggers of the new package.
FUNCTION_WAIT_SECONDS = 300
FUNCTION_POLL_SECONDS = 10


class MissingSettings(Exception):
    pass


def _required(env: Mapping[str, str]) -> dict[str, str]:
    values = {name: (env.get(name) or "").strip() for name in REQUIRED}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise MissingSettings(", ".join(missing))
    return values


def subscription_command(az: str, env: Mapping[str, str]) -> list[str]:
    """The `az` command that creates (or updates) the IncomingCall subscription."""
    values = _required(env)
    return [
        az, "eventgrid", "system-topic", "event-subscription", "create",
        "--name", SUBSCRIPTION_NAME,
        "--subscription", values["AZURE_SUBSCRIPTION_ID"],
        "--resource-group", values["AZURE_RESOURCE_GROUP"],
        "--system-topic-name", values["AZURE_ACS_SYSTEM_TOPIC_NAME"],
        "--endpoint-type", "azurefunction",
        "--endpoint", values["AZURE_ACS_INCOMING_CALL_FUNCTION_ID"],
        "--included-event-types", INCOMING_CALL_EVENT,
        "--event-ttl", str(EVENT_TTL_MINUTES),
        "--max-delivery-attempts", str(MAX_DELIVERY_ATTEMPTS),
        "--output", "none",
    ]  # fmt: skip


def function_exists_command(az: str, env: Mapping[str, str]) -> list[str]:
    values = _required(env)
    return [
        az, "resource", "show",
        "--ids", values["AZURE_ACS_INCOMING_CALL_FUNCTION_ID"],
        "--query", "id", "--output", "tsv",
    ]  # fmt: skip


def _signed_in(az: str) -> bool:
    return subprocess.run([az, "account", "show", "--output", "none"], capture_output=True).returncode == 0


def _wait_for_function(az: str, env: Mapping[str, str]) -> bool:
    deadline = time.monotonic() + FUNCTION_WAIT_SECONDS
    while True:
        if subprocess.run(function_exists_command(az, env), capture_output=True).returncode == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(FUNCTION_POLL_SECONDS)


def _by_hand(env: Mapping[str, str], reason: str) -> int:
    print(f"acs_incoming_call hook: {reason}. Phone calls reach the app once this has run:", file=sys.stderr)
    print("  " + shlex.join(subscription_command("az", env)), file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the az command instead of running it")
    args = parser.parse_args(argv)
    env = os.environ if env is None else env
    try:
        _required(env)
    except MissingSettings as missing:
        print(
            f"acs_incoming_call hook: not set: {missing} (run it with `azd hooks run postdeploy`)",
            file=sys.stderr,
        )
        return 1
    if args.print:
        print(shlex.join(subscription_command("az", env)))
        return 0
    az = shutil.which("az")
    if az is None:
        return _by_hand(env, "the Azure CLI (az) is not installed")
    if not _signed_in(az):
        return _by_hand(env, "the Azure CLI is not signed in (az login)")
    if not _wait_for_function(az, env):
        print(
            f"acs_incoming_call hook: the function {env['AZURE_ACS_INCOMING_CALL_FUNCTION_ID']} did not "
            f"appear within {FUNCTION_WAIT_SECONDS} s; run it again: azd hooks run postdeploy",
            file=sys.stderr,
        )
        return 1
    created = subprocess.run(subscription_command(az, env))
    if created.returncode != 0:
        return created.returncode
    print(f"acs_incoming_call hook: {INCOMING_CALL_EVENT} is delivered to acs_incoming_call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
