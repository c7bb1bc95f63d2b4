"""Issue 17, defect 7: orchestration_trigger(orchestration=...) and activity_trigger(activity=...)
name the functions, as in the extension, and an activity may take a `context: func.Context`."""

from __future__ import annotations

import requests

from tests.devhost.helpers import wait_for_terminal
from tests.devhost.named_app_client import start


def test_trigger_given_names_are_the_functions_names_and_the_activity_gets_its_context(named_host):
    started = start(named_host, "Greeting_Workflow", "Grace")
    status = wait_for_terminal(started["statusQueryGetUri"], host=named_host)

    assert status["runtimeStatus"] == "Completed", status
    assert status["name"] == "Greeting_Workflow"
    assert status["output"] == {
        "greeting": "Hello Grace!",
        "invocation": {
            "text": "Hello Grace!",
            "functionName": "describe_invocation",
            "hasInvocationId": True,
        },
    }


def test_the_python_function_name_is_not_an_orchestrator_when_the_trigger_names_it(named_host):
    response = requests.post(named_host.url("/api/start/greeting_workflow_impl"), json="x", timeout=30)

    # The SDK's start_new raises on the extension's 400; the starter fails (the host answers 500).
    assert response.status_code == 500
    functions = requests.get(
        named_host.url("/admin/host/status"), headers=named_host.admin_headers(), timeout=30
    ).json()["functions"]
    assert {"Greeting_Workflow", "Say_Hello", "describe_invocation"} <= set(functions)
    assert "greeting_workflow_impl" not in functions and "say_hello_impl" not in functions
