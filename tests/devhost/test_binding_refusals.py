"""Bindings devhost does not serve, and bindings written wrong, are refused when the app loads.

Before, such functions loaded silently and failed with a ``TypeError`` at their first call (issue 17,
defect 6). The first test starts a real devhost on an app with a Service Bus trigger; the others index
functions of a ``FunctionApp`` built here, as ``load_app`` does.
"""

from __future__ import annotations

import azure.functions as func
import pytest

from devhost.bindings.spec import BindingError, read_bindings
from tests.devhost.helpers import APPS_DIR, DevHost

UNSUPPORTED_APP = APPS_DIR / "unsupported_binding_app"


def test_an_app_with_a_service_bus_trigger_is_refused_at_start_naming_it(tmp_path) -> None:
    host = DevHost(app_dir=UNSUPPORTED_APP, data_dir=tmp_path / "data", log_dir=tmp_path / "logs")
    with pytest.raises(RuntimeError, match="exited with code 2"):
        host.start()
    assert (
        "devhost: Function 'on_order': devhost does not serve the 'serviceBusTrigger' binding (parameter "
        "'message'). Run the app with `func start` (Azure Functions Core Tools) against a Service Bus "
        "namespace (or its emulator), or use a storage queue locally (queue_trigger / queue_output)."
    ) in host.output()


def refusal(app: func.FunctionApp) -> str:
    """The message of the BindingError that indexing the app's one function raises."""
    [function] = app.get_functions()
    with pytest.raises(BindingError) as refused:
        read_bindings(function)
    return str(refused.value)


@pytest.fixture(autouse=True)
def storage_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    monkeypatch.delenv("MissingStorage", raising=False)
    monkeypatch.delenv("AzureWebJobsMissingStorage", raising=False)


def test_an_output_annotation_the_binding_cannot_take_gets_the_workers_words() -> None:
    app = func.FunctionApp()

    @app.route(route="r")
    @app.queue_output(arg_name="out", queue_name="q", connection="AzureWebJobsStorage")
    def numbers(req: func.HttpRequest, out: func.Out[int]) -> func.HttpResponse:
        return func.HttpResponse()

    assert refusal(app) == (
        'cannot load the numbers function: type of out binding in function.json "queue" does not match '
        'its Python annotation "int"'
    )


def test_an_output_binding_not_annotated_out_is_refused() -> None:
    app = func.FunctionApp()

    @app.route(route="r")
    @app.blob_output(arg_name="file", path="c/b", connection="AzureWebJobsStorage")
    def writes(req: func.HttpRequest, file: str) -> func.HttpResponse:
        return func.HttpResponse()

    assert 'binding file is declared to have the "out" direction' in refusal(app)


def test_a_connection_setting_that_is_not_set_is_named() -> None:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="message", queue_name="q", connection="MissingStorage")
    def listens(message: func.QueueMessage) -> None:
        pass

    assert "Storage account connection string 'MissingStorage' does not exist" in refusal(app)


def test_an_unknown_binding_type_is_refused_with_the_default_advice() -> None:
    app = func.FunctionApp()

    @app.route(route="r")
    @app.generic_input_binding(arg_name="thing", type="customThing")
    def custom(req: func.HttpRequest, thing: str) -> func.HttpResponse:
        return func.HttpResponse()

    assert refusal(app) == (
        "Function 'custom': devhost does not serve the 'customThing' binding (parameter 'thing'). "
        "Run the app with `func start` (Azure Functions Core Tools) to use it."
    )


def test_an_unset_app_setting_in_a_binding_expression_is_named() -> None:
    app = func.FunctionApp()

    @app.route(route="r")
    @app.queue_output(arg_name="out", queue_name="%NO_SUCH_QUEUE_SETTING%", connection="AzureWebJobsStorage")
    def named(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse:
        return func.HttpResponse()

    assert "no app setting named 'NO_SUCH_QUEUE_SETTING'" in refusal(app)


def test_an_identity_based_connection_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MissingStorage__queueServiceUri", "https://acct.queue.core.windows.net")
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="message", queue_name="q", connection="MissingStorage")
    def listens(message: func.QueueMessage) -> None:
        pass

    assert refusal(app) == (
        "Function 'listens', binding 'message': 'MissingStorage' is an identity-based connection "
        "(MissingStorage__...); devhost needs a connection string in the app setting 'MissingStorage' "
        "(Azurite: UseDevelopmentStorage=true)."
    )


def test_a_builtin_list_annotation_is_refused_as_the_converter_does() -> None:
    app = func.FunctionApp()

    @app.route(route="r")
    @app.queue_output(arg_name="out", queue_name="q", connection="AzureWebJobsStorage")
    def many(req: func.HttpRequest, out: func.Out[list[str]]) -> func.HttpResponse:
        return func.HttpResponse()

    assert "does not match its Python annotation" in refusal(app)
