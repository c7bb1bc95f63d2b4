"""Issue 17, defect 1: the app object is the module's one top-level FunctionApp / DFApp, of any name,
as the Python worker takes it; none or two are refused at start with the worker's words."""

from __future__ import annotations

import subprocess

import requests

from tests.devhost.helpers import APPS_DIR, serve_until_exit, wait_for_terminal
from tests.devhost.named_app_client import start


def test_an_app_object_named_myApp_is_served(named_host):
    started = start(named_host, "report_version")
    status = wait_for_terminal(started["statusQueryGetUri"], host=named_host)

    assert status["runtimeStatus"] == "Completed", status
    members = requests.get(named_host.url("/api/hubs/chat/members"), timeout=30)
    assert members.status_code == 200, members.text


def _serve_exit(app: str, tmp_path) -> subprocess.CompletedProcess[str]:
    return serve_until_exit(APPS_DIR / app, tmp_path)


def test_a_module_without_an_app_object_is_refused_with_the_workers_message(tmp_path):
    finished = _serve_exit("no_app_object", tmp_path)

    assert finished.returncode == 2, finished.stderr
    assert "Could not find top level function app instances in function_app.py." in finished.stderr


def test_a_module_with_two_app_objects_is_refused_with_the_workers_message(tmp_path):
    finished = _serve_exit("two_app_objects", tmp_path)

    assert finished.returncode == 2, finished.stderr
    # dir() order: `api` (a FunctionApp) is found first, then `workflows`.
    assert "More than one FunctionApp or other top level function app instances are defined." in (
        finished.stderr
    )
