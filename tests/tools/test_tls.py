"""HTTPS and WSS tools: TLS is verified against the URL's host name even though the connection goes to the
address the rule approved."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.sync.server import ServerConnection, serve

from shared.tools.calls import call_http_tool, call_websocket_tool
from shared.tools.http_tool import StdlibHttpClient
from tests.tools.servers import SECRET, a_call


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for `localhost` and 127.0.0.1: (certificate, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder / "cert.pem", folder / "key.pem"


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def https_port(certificate: tuple[Path, Path]) -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = json.dumps({"over": "tls", "callId": json.loads(body)["callId"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_tls(certificate).wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_an_https_tool_answers_over_verified_tls(https_port, certificate):
    client = StdlibHttpClient(tls=trusting(certificate))

    outcome = call_http_tool(
        a_call(), f"https://localhost:{https_port}/tool", None, SECRET, 5, True, http=client
    )

    assert outcome.result == {"over": "tls", "callId": "call_1"}


def test_an_untrusted_certificate_is_a_final_error(https_port):
    outcome = call_http_tool(a_call(), f"https://localhost:{https_port}/tool", None, SECRET, 5, True)

    assert outcome.error is not None
    assert outcome.error.startswith("the endpoint's TLS certificate is not valid")
    assert outcome.attempts == 1


def test_a_wss_tool_answers_over_verified_tls(certificate):
    def answer(connection: ServerConnection) -> None:
        request = json.loads(connection.recv(timeout=5))
        connection.send(json.dumps({"callId": request["callId"], "result": "over wss"}))

    with serve(answer, "127.0.0.1", 0, ssl=server_tls(certificate)) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"wss://localhost:{server.socket.getsockname()[1]}/tool"
        try:
            trusted = call_websocket_tool(a_call(), url, None, SECRET, 5, True, tls=trusting(certificate))
            untrusted = call_websocket_tool(a_call(), url, None, SECRET, 5, True)
        finally:
            server.shutdown()

    assert trusted.result == "over wss"
    assert untrusted.error is not None
    assert untrusted.error.startswith("the endpoint's TLS certificate is not valid")
