"""GET /health on the local stack: storage reachability, answered without secrets."""

import requests

from tests.devhost.helpers import REPO_ROOT, DevHost, free_port
from tests.fakes.storage_counter import StorageCounter


def test_health_reports_both_storage_services_reachable_on_azurite(platform):
    response = requests.get(platform.url("/health"), timeout=30)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "healthy"
    assert body["environment"] == "local"
    assert set(body["checks"]) == {"tableStorage", "blobStorage"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


def test_health_answers_503_naming_the_failed_service_when_storage_is_unreachable(tmp_path):
    closed = free_port()  # nothing listens there
    account_key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    connection_string = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={account_key};"
        f"BlobEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;"
        f"TableEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;"
    )
    host = DevHost(
        app_dir=REPO_ROOT,
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "logs",
        environment={"OMNI_STORAGE_CONNECTION_STRING": connection_string},
    )
    host.start()
    try:
        response = requests.get(host.url("/health"), timeout=60)
    finally:
        host.stop()

    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["tableStorage"]["status"] == "failed"
    assert body["checks"]["blobStorage"]["status"] == "failed"
    assert account_key not in response.text
    assert "AccountKey" not in response.text


def test_health_checks_storage_once_for_many_calls_within_its_cache(azurite, own_platform_factory):
    """Issue 16, defect 9: each unauthenticated call cost a Table and a Blob round trip. Counted at a
    proxy in front of Azurite; the cache is set long so that the count does not depend on timing."""
    with StorageCounter(azurite) as counter:
        host = own_platform_factory(
            OMNI_STORAGE_CONNECTION_STRING=counter.connection_string, OMNI_HEALTH_CACHE_SECONDS="600"
        )
        before = counter.snapshot()
        answers = [requests.get(host.url("/health"), timeout=30) for _ in range(10)]
        spent = counter.since(before)

    assert [a.status_code for a in answers] == [200] * 10
    assert len({a.text for a in answers}) == 1  # the same report, latency included
    assert (spent[("table", "Tables")], spent[("blob", "")]) == (1, 1)
