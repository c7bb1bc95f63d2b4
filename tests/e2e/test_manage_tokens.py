"""Local bearer tokens: `python -m devhost token` and POST /manage/dev/token, local mode only."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

from tests.devhost.helpers import REPO_ROOT, DevHost
from tests.e2e.conftest import error_of
from tests.management.manage_client import Caller, fresh_email


def devhost_token(platform, *args: str, environment: dict[str, str] | None = None):
    env = {
        **os.environ,
        "OMNI_ENVIRONMENT": "local",
        "OMNI_LOCAL_STATE_DIR": platform.settings.local_state_dir,
        **(environment or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "devhost", "token", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_devhost_token_prints_a_token_the_api_accepts(platform):
    email = fresh_email("cli")
    result = devhost_token(platform, "--user", email, "--name", "Cli User")

    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    caller = Caller(platform, token)
    created = caller.ok("POST", "/manage/organizations", 201, json={"name": "From the CLI"})
    members = caller.ok("GET", f"/manage/organizations/{created['id']}/members")
    assert [m["email"] for m in members["items"]] == [email.lower()]
    assert members["items"][0]["userId"].startswith("user_")  # a stable id, not the email


def test_devhost_token_refuses_outside_local_mode(platform):
    result = devhost_token(platform, "--user", fresh_email("cli"), environment={"OMNI_ENVIRONMENT": "azure"})

    assert result.returncode == 2
    assert result.stdout == ""
    assert "OMNI_ENVIRONMENT" in result.stderr and "local" in result.stderr


def test_devhost_token_refuses_what_is_not_an_email(platform):
    result = devhost_token(platform, "--user", "alice")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "email" in result.stderr


def test_dev_token_route_mints_a_token_in_local_mode(platform):
    email = fresh_email("route")
    response = requests.post(
        platform.url("/manage/dev/token"), json={"email": email, "name": "Route"}, timeout=30
    )

    assert response.status_code == 200, response.text
    assert set(response.json()) == {"token"}
    caller = Caller(platform, response.json()["token"])
    assert caller.ok("GET", "/manage/organizations")["items"] == []

    bad = requests.post(platform.url("/manage/dev/token"), json={"email": "nope"}, timeout=30)
    assert bad.status_code == 400
    assert error_of(bad)["details"][0]["field"] == "email"


def test_every_local_token_for_one_email_is_the_same_user(platform):
    """Local tokens carry a subject derived from the email: the CLI's and the route's name one user."""
    email = fresh_email("same")
    cli = Caller(platform, devhost_token(platform, "--user", email).stdout.strip())
    created = cli.ok("POST", "/manage/organizations", 201, json={"name": "Mine"})
    minted = requests.post(platform.url("/manage/dev/token"), json={"email": email.upper()}, timeout=30)

    route = Caller(platform, minted.json()["token"])

    assert [(o["id"], o["role"]) for o in route.ok("GET", "/manage/organizations")["items"]] == [
        (created["id"], "admin")
    ]


def test_dev_token_route_does_not_exist_outside_local_mode(azurite, platform, tmp_path):
    host = DevHost(
        app_dir=REPO_ROOT,
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "logs",
        environment={
            "OMNI_ENVIRONMENT": "azure",
            "OMNI_STORAGE_CONNECTION_STRING": azurite.connection_string,
            "OMNI_LOCAL_STATE_DIR": platform.settings.local_state_dir,
        },
    )
    host.start()
    try:
        minted = requests.post(host.url("/manage/dev/token"), json={"email": fresh_email("x")}, timeout=30)
        local_token = devhost_token(platform, "--user", fresh_email("x")).stdout.strip()
        listed = requests.get(
            host.url("/manage/organizations"), headers={"Authorization": f"Bearer {local_token}"}, timeout=30
        )
    finally:
        host.stop()

    assert minted.status_code == 404, minted.text
    assert error_of(minted)["code"] == "NotFound"
    # Even a token signed with the very local key is refused outside local mode.
    assert listed.status_code == 401, listed.text
    assert error_of(listed)["code"] == "Unauthorized"
