"""The provider client's direct connections (asyncio's own, runtime/providers/connections.py)
against real servers on 127.0.0.1: TLS, a connection the server closed while idle, a flood
that must wait in the kernel, a read timeout."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from modeldesk.runtime.providers import new_client
from modeldesk.runtime.providers.connections import READ_LIMIT, AsyncioBackend, AsyncioStream, use_asyncio_connections

pytestmark = pytest.mark.timeout(30)

OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"


class _Server:
    """A real socket on 127.0.0.1 (TLS when given a context): every connection is handled by
    ``handle(conn)`` in a thread of its own; ``connections`` counts them."""

    def __init__(self, handle, tls: ssl.SSLContext | None = None) -> None:  # type: ignore[no-untyped-def]
        self.handle = handle
        self.tls = tls
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            with conn:
                self.handle(conn, self)
        except OSError:
            pass  # the client hung up, or refused the certificate

    def close(self) -> None:
        self.stop.set()
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread waiting in accept()
        self.listener.close()
        self.acceptor.join(10)
        for thread in self.threads:
            thread.join(10)


def _requests(conn: socket.socket) -> Iterator[bytes]:
    """Each request's head as it comes (the bodies of these tests are empty)."""
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data:
                return
            buffer += data
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        yield head


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(the server's context, a client context trusting only it): a self-signed
    certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


def _client(verify: ssl.SSLContext) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(verify=verify, trust_env=False)
    use_asyncio_connections(transport)
    assert isinstance(transport._pool._network_backend, AsyncioBackend)
    return httpx.AsyncClient(transport=transport, trust_env=False)


def _answer_each(conn: socket.socket, server: _Server) -> None:
    for _head in _requests(conn):
        conn.sendall(OK)


def test_tls_requests_share_one_verified_connection(certificate: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_tls, client_tls = certificate
    server = _Server(_answer_each, tls=server_tls)

    async def go() -> list[str]:
        async with _client(client_tls) as client:
            texts = []
            for _ in range(3):
                response = await client.get(f"https://127.0.0.1:{server.port}/")
                texts.append(response.text)
            return texts

    try:
        assert asyncio.run(go()) == ["ok", "ok", "ok"]
        assert server.connections == 1
    finally:
        server.close()


def test_tls_refuses_a_certificate_it_does_not_trust(certificate: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_tls, _client_tls = certificate
    server = _Server(_answer_each, tls=server_tls)

    async def go() -> None:
        async with _client(ssl.create_default_context()) as client:  # the system's CAs only
            await client.get(f"https://127.0.0.1:{server.port}/")

    try:
        with pytest.raises(httpx.ConnectError) as caught:
            asyncio.run(go())
        chain: list[BaseException] = []
        seen: BaseException | None = caught.value
        while seen is not None:  # as the message's reason is looked for (error_classifier.os_reason)
            chain.append(seen)
            seen = seen.__cause__ or seen.__context__
        assert any(isinstance(exc, ssl.SSLCertVerificationError) for exc in chain)
    finally:
        server.close()


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    """The server answers once and closes without saying so: the next request goes out on
    a new connection instead of failing on the dead one."""

    def once(conn: socket.socket, server: _Server) -> None:
        for _head in _requests(conn):
            conn.sendall(OK)
            return

    server = _Server(once)

    async def go() -> list[int]:
        async with new_client(5.0) as client:
            statuses = []
            for _ in range(3):
                statuses.append((await client.get(f"http://127.0.0.1:{server.port}/")).status_code)
                await asyncio.sleep(0.05)  # the close reaches the client while the connection is idle
            return statuses

    try:
        assert asyncio.run(go()) == [200, 200, 200]
        assert server.connections == 3
    finally:
        server.close()


def test_a_flood_waits_in_the_kernel_until_it_is_read() -> None:
    """Bytes nobody reads yet are not all taken into memory: reading pauses past READ_LIMIT
    and resumes as they are read, and every byte arrives."""
    size = 16 * READ_LIMIT

    def flood(conn: socket.socket, server: _Server) -> None:
        conn.sendall(b"x" * size)
        server.stop.wait(20)

    server = _Server(flood)

    async def go() -> tuple[int, int]:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5.0)
        assert isinstance(stream, AsyncioStream)
        await asyncio.sleep(0.3)  # the server has sent everything it could
        held = len(stream._connection.received)
        total = 0
        while total < size:
            total += len(await stream.read(65536, timeout=5.0))
        await stream.aclose()
        return held, total

    try:
        held, total = asyncio.run(go())
        assert 0 < held <= 2 * READ_LIMIT
        assert total == size
    finally:
        server.close()


def test_a_read_timeout_is_httpx_s_read_timeout() -> None:
    def silent(conn: socket.socket, server: _Server) -> None:
        for _head in _requests(conn):
            server.stop.wait(20)
            return

    server = _Server(silent)

    async def go() -> None:
        async with new_client(5.0, read_timeout_s=0.2) as client:
            await client.get(f"http://127.0.0.1:{server.port}/")

    try:
        with pytest.raises(httpx.ReadTimeout):
            asyncio.run(go())
    finally:
        server.close()


def test_a_host_whose_every_address_refuses_names_the_reason_not_the_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name with two addresses, both refusing (two closed ports on loopback): asyncio
    joins the attempts into one OSError without an errno; the user reads the reason."""
    from modeldesk.runtime.providers.error_classifier import os_reason

    closed = []
    for _ in range(2):
        probe = socket.create_server(("127.0.0.1", 0))
        closed.append(probe.getsockname()[1])
        probe.close()
    addresses = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)) for port in closed]

    async def go() -> BaseException:
        loop = asyncio.get_running_loop()

        async def two_addresses(*_args: object, **_kwargs: object) -> list[object]:
            return list(addresses)

        monkeypatch.setattr(loop, "getaddrinfo", two_addresses)
        with pytest.raises(httpcore.ConnectError) as caught:
            await AsyncioBackend().connect_tcp("two.example", closed[0], timeout=5)
        return caught.value

    error = asyncio.run(go())
    assert "Multiple exceptions" in str(error)  # what asyncio gives (Python 3.11)
    assert os_reason(error) == "Connection refused"
