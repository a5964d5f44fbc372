"""An API behind a company's own CA, and one that asks for a client certificate (mutual TLS):
`<NAME>_CA_BUNDLE`, `<NAME>_CLIENT_CERT`, `<NAME>_CLIENT_KEY` and `_CLIENT_KEY_PASSWORD`, each
a path or the PEM text itself.

Against a real HTTPS server on 127.0.0.1 with certificates made here, through the generated
server and an MCP client."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx2
import pytest
from conftest import built_server, result_data, tool_caller
from pki import PASSWORD, make_pki
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.runtime.tls import TlsSettingError, upstream_context
from adaptgen.runtime.upstream import UpstreamError, _RetryableFailure, _transport_failure
from adaptgen.sandbox.server import serve_app


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path | str]:
    """A company's CA, the API's certificate it signed, and a client's certificate."""
    return make_pki(tmp_path_factory.mktemp("pki"))


def _app() -> Starlette:
    async def orders(request: Request) -> JSONResponse:
        return JSONResponse({"orders": [{"id": 1}]})

    return Starlette(routes=[Route("/orders", orders)])


def _spec(url: str) -> dict:
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Legacy", "version": "1"},
        "servers": [{"url": url}],
        "paths": {"/orders": {"get": {"operationId": "getOrders", "responses": ok}}},
    }


def _serving(pki: dict, *, client_certs: bool):
    tls = {"ssl_certfile": str(pki["server_cert"]), "ssl_keyfile": str(pki["server_key"])}
    if client_certs:
        tls |= {"ssl_ca_certs": str(pki["ca"]), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    return serve_app(_app(), tls=tls)


def _call(tmp_path: Path, url: str):
    module, _ = built_server(tmp_path, _spec(url), "legacy")
    return tool_caller(module)("get_orders", {})


def test_an_internal_ca_is_trusted_when_named(tmp_path, pki, monkeypatch):
    with _serving(pki, client_certs=False) as url:
        assert url.startswith("https://127.0.0.1:")
        refused = _call(tmp_path, url)
        assert refused.is_error
        text = refused.content[0].text
        assert "TLS certificate is not trusted (" in text and "set LEGACY_CA_BUNDLE" in text
        assert "retry" not in text  # no passing fault: not tried again
        monkeypatch.setenv("LEGACY_CA_BUNDLE", str(pki["ca"]))
        answer = _call(tmp_path, url)
        assert not answer.is_error, answer.content[0].text
        assert result_data(answer.content[0].text)["orders"] == [{"id": 1}]
        monkeypatch.setenv("LEGACY_CA_BUNDLE", pki["ca_text"])  # the PEM itself
        assert not _call(tmp_path, url).is_error


@pytest.mark.parametrize(
    "settings",
    [
        {"CLIENT_CERT": "client_cert", "CLIENT_KEY": "client_key"},
        {"CLIENT_CERT": "client_both"},
        {"CLIENT_CERT": "client_cert_text", "CLIENT_KEY": "client_key_text"},
        {"CLIENT_CERT": "client_cert", "CLIENT_KEY": "client_key_locked", "PASSWORD": None},
    ],
    ids=["files", "one-file", "pem-text", "locked-key"],
)
def test_a_client_certificate_is_sent_when_asked(tmp_path, pki, monkeypatch, settings):
    monkeypatch.setenv("LEGACY_CA_BUNDLE", str(pki["ca"]))
    with _serving(pki, client_certs=True) as url:
        assert _call(tmp_path, url).is_error  # no certificate: the handshake is refused
        for name, key in settings.items():
            if name == "PASSWORD":
                monkeypatch.setenv("LEGACY_CLIENT_KEY_PASSWORD", PASSWORD)
            else:
                monkeypatch.setenv(f"LEGACY_{name}", str(pki[key]))
        answer = _call(tmp_path, url)
        assert not answer.is_error, answer.content[0].text


def test_a_setting_that_cannot_be_used_says_which(tmp_path, pki, monkeypatch):
    monkeypatch.setenv("LEGACY_CA_BUNDLE", str(pki["ca"]))
    monkeypatch.setenv("LEGACY_CLIENT_CERT", str(pki["client_cert"]))
    monkeypatch.setenv("LEGACY_CLIENT_KEY", pki["client_key_locked_text"])
    monkeypatch.setenv("LEGACY_CLIENT_KEY_PASSWORD", "wrong")
    with _serving(pki, client_certs=True) as url:
        answer = _call(tmp_path, url)
    assert answer.is_error
    text = answer.content[0].text
    assert "LEGACY_CLIENT_CERT and LEGACY_CLIENT_KEY" in text
    assert "BEGIN" not in text and "wrong" not in text
    with pytest.raises(TlsSettingError, match="LEGACY_CA_BUNDLE: no CA certificate"):
        upstream_context("LEGACY", {"LEGACY_CA_BUNDLE": str(tmp_path / "nowhere.pem")})
    with pytest.raises(TlsSettingError, match="LEGACY_CA_BUNDLE"):
        upstream_context("LEGACY", {"LEGACY_CA_BUNDLE": "-----BEGIN CERTIFICATE-----\nxx\n"})


def test_no_setting_is_the_public_roots_alone():
    context = upstream_context("LEGACY", {})
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 50  # certifi's


def test_a_handshake_refused_for_want_of_a_certificate_says_so():
    """A server that sends its alert in the handshake (TLS 1.2, or 1.3's `certificate
    required` where the client reads it): the setting is named, and it is not tried again.
    (uvicorn closes a TLS 1.3 connection without a readable alert: that case is the
    connection broken, above.)"""
    alert = ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert")
    alert.reason = "TLSV13_ALERT_CERTIFICATE_REQUIRED"
    failure = httpx2.ConnectError("handshake")
    failure.__cause__ = alert
    said = _transport_failure(failure, "GET /orders", "https://legacy:8443", True, "LEGACY")
    assert isinstance(said, UpstreamError) and not isinstance(said, _RetryableFailure)
    assert str(said) == (
        "GET /orders: https://legacy:8443 refused the TLS handshake "
        "(TLSV13_ALERT_CERTIFICATE_REQUIRED): it asks for a client certificate; set "
        "LEGACY_CLIENT_CERT and LEGACY_CLIENT_KEY"
    )
    plain = _transport_failure(httpx2.ConnectError("refused"), "GET /x", "https://h", True, "L")
    assert isinstance(plain, _RetryableFailure)  # no TLS in it: a passing fault, as before


def test_a_mutual_tls_scheme_says_what_to_set(tmp_path, pki, monkeypatch):
    """OpenAPI 3.1's `mutualTLS` scheme: a requirement the client certificate meets, so a call
    without one is refused before any handshake, naming the variable."""

    def spec(url: str) -> dict:
        document = _spec(url) | {"openapi": "3.1.0", "security": [{"qwac": []}]}
        scheme = {"type": "mutualTLS", "description": "eIDAS QWAC"}
        return document | {"components": {"securitySchemes": {"qwac": scheme}}}

    monkeypatch.setenv("LEGACY_CA_BUNDLE", str(pki["ca"]))
    with _serving(pki, client_certs=True) as url:
        module, out = built_server(tmp_path, spec(url), "legacy")
        call = tool_caller(module)
        missing = call("get_orders", {})
        assert missing.is_error and "set LEGACY_CLIENT_CERT" in missing.content[0].text
        monkeypatch.setenv("LEGACY_CLIENT_CERT", str(pki["client_both"]))
        answer = call("get_orders", {})
        assert not answer.is_error, answer.content[0].text
    readme = (out / "README.md").read_text()
    assert "mutual TLS: client certificate in LEGACY_CLIENT_CERT" in readme
