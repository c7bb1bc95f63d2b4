import hashlib
import hmac

from shared.webpubsub_events import access_keys, signature_is_valid

KEY = "a2V5LWZvci10ZXN0cw=="


def _signature(key: str, connection_id: str) -> str:
    return "sha256=" + hmac.new(key.encode(), connection_id.encode(), hashlib.sha256).hexdigest()


def test_the_access_key_comes_from_the_connection_string():
    assert access_keys(f"Endpoint=http://127.0.0.1:7071;AccessKey={KEY};Version=1.0;") == [KEY]
    assert access_keys("Endpoint=https://x.webpubsub.azure.com;Version=1.0;") == []


def test_a_signature_of_the_connection_id_with_any_current_key_is_valid():
    header = f"{_signature('old-key', 'conn1')}, {_signature(KEY, 'conn1')}"
    assert signature_is_valid(header, "conn1", [KEY])


def test_a_signature_of_another_connection_or_key_is_refused():
    assert not signature_is_valid(_signature(KEY, "conn2"), "conn1", [KEY])
    assert not signature_is_valid(_signature("forged", "conn1"), "conn1", [KEY])
    assert not signature_is_valid("", "conn1", [KEY])
    assert not signature_is_valid(_signature(KEY, "conn1"), "conn1", [])
