"""The Entra ID settings the browser pages sign in with are derived from the bearer path's own issuer
and audience, so the token MSAL gets is one ``/manage`` and ``/public`` accept."""

from __future__ import annotations

import pytest

from api.web_config import entra_sign_in
from shared.settings import AuthSettings

CLIENT = "11111111-2222-3333-4444-555555555555"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_a_v2_issuer_and_a_client_id_audience_give_the_tenant_authority_and_the_default_scope():
    entra = entra_sign_in(
        AuthSettings(issuer=f"https://login.microsoftonline.com/{TENANT}/v2.0", audience=CLIENT)
    )
    assert entra is not None
    assert entra.model_dump(by_alias=True) == {
        "clientId": CLIENT,
        "authority": f"https://login.microsoftonline.com/{TENANT}",
        "scopes": [f"{CLIENT}/.default"],
    }


def test_an_app_id_uri_audience_names_its_client_id_and_keeps_the_uri_in_the_scope():
    entra = entra_sign_in(
        AuthSettings(issuer=f"https://sts.windows.net/{TENANT}/", audience=f"api://{CLIENT}")
    )
    assert entra is not None
    assert (entra.client_id, entra.authority, entra.scopes) == (
        CLIENT,
        f"https://login.microsoftonline.com/{TENANT}",
        [f"api://{CLIENT}/.default"],
    )


@pytest.mark.parametrize(
    "auth",
    [
        AuthSettings(),
        AuthSettings(issuer=f"https://login.microsoftonline.com/{TENANT}/v2.0"),
        AuthSettings(audience=CLIENT),
        AuthSettings(
            issuer=f"https://login.microsoftonline.com/{TENANT}/v2.0", audience="urn:omniagent:manage"
        ),
        AuthSettings(issuer="http://insecure.example/tenant/v2.0", audience=CLIENT),
    ],
    ids=["nothing", "no audience", "no issuer", "audience names no app", "plain http issuer"],
)
def test_without_a_usable_issuer_and_app_registration_there_is_no_entra_sign_in(auth):
    assert entra_sign_in(auth) is None
