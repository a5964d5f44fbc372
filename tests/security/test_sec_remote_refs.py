"""`--allow-remote-refs` fetches from public hosts only and follows same-origin redirects only.

Issue 12, item 19: the fetch followed redirects to any host and would connect to link-local
(cloud metadata), private or loopback addresses. The block list is tested as a pure function:
nothing here sends to those ranges. Redirects are tested with two servers on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sec_build import assert_input_error, run_adaptgen, write

from adaptgen.load.remote import (
    LOOPBACK_ENV,
    MAX_REDIRECTS,
    RemoteRefused,
    blocked_reason,
    fetch_remote,
)

SCHEMA = b"User: {type: object, properties: {email: {type: string}}}\n"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "link-local"),
        ("169.254.0.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("::", "unspecified"),
        ("127.0.0.1", "loopback"),
        ("127.8.8.8", "loopback"),
        ("::1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),  # IPv4-mapped
        ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 around 169.254.169.254
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("198.18.0.1", "private"),  # benchmarking
    ],
)
def test_non_public_addresses_are_blocked(address, reason):
    found = blocked_reason(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert blocked_reason(ipaddress.ip_address(address)) is None


def test_loopback_only_with_the_opt_in():
    assert blocked_reason(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert blocked_reason(ipaddress.ip_address("::1"), allow_loopback=True) is None
    # The opt-in is for loopback alone: metadata stays blocked.
    assert blocked_reason(ipaddress.ip_address("169.254.169.254"), allow_loopback=True)


def test_every_resolved_address_is_checked_before_connecting(monkeypatch):
    """A name whose DNS answer holds one metadata address is refused; nothing is sent."""
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 80)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    monkeypatch.setattr(
        socket, "create_connection", lambda *a, **k: pytest.fail("connected to a refused host")
    )
    with pytest.raises(RemoteRefused, match="169.254.169.254, a link-local address"):
        fetch_remote("http://rebind.example/schemas.yaml")


def test_a_name_for_loopback_is_refused_without_the_opt_in():
    with pytest.raises(RemoteRefused, match="loopback"):
        fetch_remote("http://localhost:9/schemas.yaml", allow_loopback=False)


class _Server:
    """A loopback HTTP server answering from `routes`: path -> (status, headers, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hosts: list[str] = []
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.hosts.append(self.headers.get("Host", ""))
                server.paths.append(self.path)
                status, headers, body = server.routes.get(self.path, (404, {}, b"nothing here"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def servers(monkeypatch) -> Iterator[tuple[_Server, _Server]]:
    monkeypatch.setenv(LOOPBACK_ENV, "1")
    first, second = _Server(), _Server()
    yield first, second
    first.close()
    second.close()


def redirect(to: str) -> tuple[int, dict[str, str], bytes]:
    return 302, {"Location": to}, b""


def test_same_origin_redirects_are_followed(servers):
    origin, _ = servers
    origin.routes["/old.yaml"] = redirect("/new.yaml")
    origin.routes["/new.yaml"] = (200, {}, SCHEMA)
    assert fetch_remote(f"{origin.url}/old.yaml") == SCHEMA.decode()


def test_a_redirect_to_another_origin_is_refused(servers):
    origin, other = servers
    origin.routes["/s.yaml"] = redirect(f"{other.url}/s.yaml")
    other.routes["/s.yaml"] = (200, {}, SCHEMA)
    with pytest.raises(RemoteRefused, match="another origin"):
        fetch_remote(f"{origin.url}/s.yaml")
    assert other.hosts == []  # never contacted


def test_redirects_are_bounded(servers):
    origin, _ = servers
    origin.routes["/loop.yaml"] = redirect("/loop.yaml")
    with pytest.raises(RemoteRefused, match=f"more than {MAX_REDIRECTS} redirects"):
        fetch_remote(f"{origin.url}/loop.yaml")
    assert len(origin.hosts) == MAX_REDIRECTS + 1


def test_the_request_names_the_host_it_was_given(servers):
    origin, _ = servers
    origin.routes["/s.yaml"] = (200, {}, SCHEMA)
    port = origin.url.rsplit(":", 1)[1]
    fetch_remote(f"http://localhost:{port}/s.yaml")  # connects to the checked address
    assert origin.hosts == [f"localhost:{port}"]


SPEC = """\
openapi: 3.0.3
info: {{title: R, version: "1"}}
paths:
  /r:
    post:
      operationId: createR
      requestBody:
        content:
          application/json:
            schema: {{$ref: '{url}#/User'}}
      responses: {{'201': {{description: ok}}}}
"""


def test_a_build_refuses_a_cross_origin_redirect_at_the_ref(servers, tmp_path):
    origin, other = servers
    origin.routes["/s.yaml"] = redirect(f"{other.url}/s.yaml")
    other.routes["/s.yaml"] = (200, {}, SCHEMA)
    spec = write(tmp_path / "r.yaml", SPEC.format(url=f"{origin.url}/s.yaml"))
    done = run_adaptgen("build", "-q", spec.name, "--allow-remote-refs", cwd=tmp_path)
    assert_input_error(done, "r.yaml:10:", "another origin")
    assert other.hosts == []


def test_refs_inside_a_remote_document_stay_remote(servers, tmp_path):
    """A remote document's relative ref names a URL on its host, never a file of the build."""
    origin, _ = servers
    write(tmp_path / "secret.yaml", "User: {type: string, enum: [TOPSECRET-77]}\n")
    origin.routes["/s.yaml"] = (200, {}, b"User: {$ref: 'secret.yaml#/User'}\n")
    origin.routes["/secret.yaml"] = (200, {}, SCHEMA)
    spec = write(tmp_path / "r.yaml", SPEC.format(url=f"{origin.url}/s.yaml"))
    done = run_adaptgen("build", "-q", spec.name, "--allow-remote-refs", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    catalog = (tmp_path / "generated/r/catalog.json").read_text()
    assert "TOPSECRET" not in catalog and "email" in catalog
    assert origin.paths == ["/s.yaml", "/secret.yaml"]
