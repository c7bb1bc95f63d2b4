"""The phone channel's infra agrees with the app: main.bicep sets the ACS settings shared/phone/settings.py
reads, the IncomingCall subscription targets the Event Grid trigger channels/acs_phone.py registers, and the
postdeploy hook (infra/hooks/acs_incoming_call.py) creates it with the Azure CLI, or says how without it."""

from __future__ import annotations

import importlib.util
import os
import re
import stat
import sys
from pathlib import Path

import pytest
import yaml

from shared.phone.inbound import INCOMING_CALL_EVENT
from shared.phone.settings import (
    CALLBACK_AUDIENCE_SETTING,
    CALLBACK_BASE_URL_SETTING,
    COGNITIVE_SERVICES_ENDPOINT_SETTING,
    CONNECTION_STRING_SETTING,
)
from tests.devhost.helpers import REPO_ROOT

MAIN = (REPO_ROOT / "infra" / "main.bicep").read_text()
PHONE = (REPO_ROOT / "infra" / "modules" / "phone.bicep").read_text()
HOOK_PATH = REPO_ROOT / "infra" / "hooks" / "acs_incoming_call.py"
APP_ID = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/func-api-x"
FUNCTION_ID = f"{APP_ID}/functions/acs_incoming_call"
HOOK_ENV = {
    "AZURE_SUBSCRIPTION_ID": "s1",
    "AZURE_RESOURCE_GROUP": "rg",
    "AZURE_ACS_SYSTEM_TOPIC_NAME": "egst-acs-x",
    "AZURE_ACS_INCOMING_CALL_FUNCTION_ID": FUNCTION_ID,
}


def _load_hook():
    spec = importlib.util.spec_from_file_location("acs_incoming_call_hook", HOOK_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = _load_hook()


def test_main_sets_the_settings_the_app_reads():
    reference = "'@Microsoft.KeyVault(SecretUri=${phone.outputs.connectionStringSecretUri})'"
    assert f"{CONNECTION_STRING_SETTING}: {reference}" in MAIN
    assert f"{CALLBACK_AUDIENCE_SETTING}: phone.outputs.immutableResourceId" in MAIN
    assert f"{COGNITIVE_SERVICES_ENDPOINT_SETTING}: phone.outputs.aiServicesEndpoint" in MAIN
    # The app's own https URL, set by functionapp.bicep from the site's default host name.
    assert f"appUrlSettingName: '{CALLBACK_BASE_URL_SETTING}'" in MAIN
    # The audience is the immutable id ACS puts in the callback token's aud, read from the resource.
    assert "output immutableResourceId string = communicationServices.properties.immutableResourceId" in PHONE
    # ACS's identity, not the app's, reaches the AI services resource: Cognitive Services User.
    assert "principalId: communicationServices.identity.principalId" in PHONE
    assert "a97b65f3-24c7-4388-baec-2e87135dc908" in PHONE


def test_the_subscription_targets_the_apps_event_grid_trigger():
    source = (REPO_ROOT / "channels" / "acs_phone.py").read_text()
    [trigger] = re.findall(r'@bp\.function_name\("(\w+)"\)\n@bp\.event_grid_trigger', source)
    assert re.search(rf"var incomingCallFunctionName = '{trigger}'", MAIN)
    assert "'${api.outputs.id}/functions/${incomingCallFunctionName}'" in MAIN
    assert hook.INCOMING_CALL_EVENT == INCOMING_CALL_EVENT
    assert "topicType: 'Microsoft.Communication.CommunicationServices'" in PHONE


def test_the_hook_reads_what_azd_and_main_provide():
    outputs = set(re.findall(r"^output (\w+) ", MAIN, re.MULTILINE))
    azd_builtin = {"AZURE_SUBSCRIPTION_ID"}
    assert set(hook.REQUIRED) - azd_builtin <= outputs
    hooks = yaml.safe_load((REPO_ROOT / "azure.yaml").read_text())["services"]["api"]["hooks"]
    assert hooks["postdeploy"]["posix"]["run"] == "python3 infra/hooks/acs_incoming_call.py"
    assert hooks["postdeploy"]["windows"]["run"] == "python infra/hooks/acs_incoming_call.py"


def test_the_subscription_command_delivers_incoming_calls_to_the_function():
    command = hook.subscription_command("az", HOOK_ENV)
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert command[:5] == ["az", "eventgrid", "system-topic", "event-subscription", "create"]
    assert options == {
        "--name": "acs-incoming-call",
        "--subscription": "s1",
        "--resource-group": "rg",
        "--system-topic-name": "egst-acs-x",
        "--endpoint-type": "azurefunction",
        "--endpoint": FUNCTION_ID,
        "--included-event-types": INCOMING_CALL_EVENT,
        "--event-ttl": "1",
        "--max-delivery-attempts": "3",
        "--output": "none",
    }


def test_without_its_settings_the_hook_fails_naming_them(capsys):
    assert hook.main([], env={**HOOK_ENV, "AZURE_ACS_SYSTEM_TOPIC_NAME": " "}) == 1
    assert "AZURE_ACS_SYSTEM_TOPIC_NAME" in capsys.readouterr().err


def test_without_the_azure_cli_the_hook_prints_the_command_and_succeeds(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no az on it
    assert hook.main([], env=HOOK_ENV) == 0
    err = capsys.readouterr().err
    assert "not installed" in err
    assert "az eventgrid system-topic event-subscription create --name acs-incoming-call" in err
    assert FUNCTION_ID in err


def _fake_az(directory: Path, script: str) -> Path:
    log = directory / "az.log"
    az = directory / "az"
    az.write_text(f'#!/bin/sh\necho "$*" >> {log}\n{script}\n')
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    return log


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script stands in for az")
def test_the_hook_waits_for_the_function_then_creates_the_subscription(tmp_path, monkeypatch):
    # The function appears on the third look (the host syncing its triggers after the deploy).
    counter = tmp_path / "looks"
    log = _fake_az(
        tmp_path,
        f'case "$1" in resource) echo x >> {counter}; [ "$(wc -l < {counter})" -ge 3 ] || exit 3;; esac\n'
        "exit 0",
    )
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setattr(hook, "FUNCTION_POLL_SECONDS", 0)
    assert hook.main([], env=HOOK_ENV) == 0
    calls = log.read_text().splitlines()
    assert [call.split()[:2] for call in calls] == [
        ["account", "show"],
        ["resource", "show"],
        ["resource", "show"],
        ["resource", "show"],
        ["eventgrid", "system-topic"],
    ]
    assert f"--ids {FUNCTION_ID}" in calls[1]
    assert f"--endpoint-type azurefunction --endpoint {FUNCTION_ID}" in calls[-1]


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script stands in for az")
def test_a_function_that_never_appears_fails_the_hook_without_subscribing(tmp_path, monkeypatch, capsys):
    log = _fake_az(tmp_path, 'case "$1" in resource) exit 3;; esac\nexit 0')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setattr(hook, "FUNCTION_WAIT_SECONDS", 0)
    assert hook.main([], env=HOOK_ENV) == 1
    assert "did not appear" in capsys.readouterr().err
    assert not any(call.startswith("eventgrid") for call in log.read_text().splitlines())
