"""E-mail through a relay that wants TLS and a login (port 587 STARTTLS, 465 implicit TLS).

Real aiosmtpd servers with a certificate from a throwaway authority (trustme); the client
checks that certificate against the authority it is given, and never falls back to clear text.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient
from pydantic import ValidationError

from planwatch.settings import CommonSettings
from planwatch_alerts.app import create_app
from planwatch_alerts.channels import EmailChannel
from planwatch_alerts.ports import Delivery, DeliveryError
from planwatch_alerts.settings import Settings
from support.net import free_port

USER, PASSWORD = "planwatch", "s3cret-relay-password"


@dataclass
class Relay:
    port: int
    received: list[tuple[bool, bytes]] = field(default_factory=list)  # (over TLS, content)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.relay.lock:
            over_tls = server.transport.get_extra_info("ssl_object") is not None
            self.relay.received.append((over_tls, envelope.content))
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def _serve(relay: Relay, **options: Any) -> Iterator[Relay]:
    controller = Controller(
        _Handler(relay),
        hostname="127.0.0.1",
        port=relay.port,
        server_hostname="localhost",
        **options,
    )
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


@pytest.fixture
def starttls_relay(server_context: ssl.SSLContext) -> Iterator[Relay]:
    """Port 587 style: STARTTLS required before anything else, then a login."""
    yield from _serve(
        Relay(free_port()),
        tls_context=server_context,
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
    )


@pytest.fixture
def ssl_relay(server_context: ssl.SSLContext) -> Iterator[Relay]:
    """Port 465 style: TLS from the first byte, then a login."""
    yield from _serve(
        Relay(free_port()),
        ssl_context=server_context,
        authenticator=_authenticate,
        auth_required=True,
        auth_require_tls=False,  # the whole session is TLS already
    )


@pytest.fixture
def plain_relay() -> Iterator[Relay]:
    """A relay that offers no STARTTLS."""
    yield from _serve(Relay(free_port()))


def _delivery() -> Delivery:
    return Delivery(
        to=["kjt@example.invalid"],
        cc=[],
        subject="规划指标预警",
        body="研发经费投入强度 进展缓慢",
        message_id="<tls-1@planwatch>",
    )


def test_starttls_and_login_deliver_over_an_encrypted_session(
    starttls_relay: Relay, ca_file: Path
) -> None:
    channel = EmailChannel(
        "127.0.0.1",
        starttls_relay.port,
        "planwatch@example.invalid",
        security="starttls",
        username=USER,
        password=PASSWORD,
        ca_file=ca_file,
    )
    channel.send(_delivery())
    ((over_tls, content),) = starttls_relay.received
    assert over_tls
    assert b"tls-1@planwatch" in content


# aiosmtpd counts only STARTTLS as TLS for AUTH; on port 465 the whole session is TLS
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_and_login_deliver(ssl_relay: Relay, ca_file: Path) -> None:
    channel = EmailChannel(
        "127.0.0.1",
        ssl_relay.port,
        "planwatch@example.invalid",
        security="ssl",
        username=USER,
        password=PASSWORD,
        ca_file=ca_file,
    )
    channel.send(_delivery())
    ((over_tls, _),) = ssl_relay.received
    assert over_tls


def test_a_wrong_password_is_a_permanent_failure(starttls_relay: Relay, ca_file: Path) -> None:
    channel = EmailChannel(
        "127.0.0.1",
        starttls_relay.port,
        "planwatch@example.invalid",
        security="starttls",
        username=USER,
        password="wrong",
        ca_file=ca_file,
    )
    with pytest.raises(DeliveryError) as failed:
        channel.send(_delivery())
    assert not failed.value.retryable  # 535: trying again will not help
    assert "535" in str(failed.value)
    assert starttls_relay.received == []


def test_a_certificate_no_trusted_authority_signed_is_refused(starttls_relay: Relay) -> None:
    channel = EmailChannel(
        "127.0.0.1",
        starttls_relay.port,
        "planwatch@example.invalid",
        security="starttls",
        username=USER,
        password=PASSWORD,
    )
    with pytest.raises(DeliveryError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify"):
        channel.send(_delivery())
    assert starttls_relay.received == []


def test_starttls_never_falls_back_to_clear_text(plain_relay: Relay, ca_file: Path) -> None:
    channel = EmailChannel(
        "127.0.0.1",
        plain_relay.port,
        "planwatch@example.invalid",
        security="starttls",
        ca_file=ca_file,
    )
    with pytest.raises(DeliveryError, match="STARTTLS"):
        channel.send(_delivery())
    assert plain_relay.received == []


def test_a_login_without_tls_is_refused_by_the_settings(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="smtp_username"):
        Settings(smtp_username=USER, common=CommonSettings(data_dir=tmp_path))
    settings = Settings(
        smtp_username=USER,
        smtp_password=PASSWORD,  # type: ignore[arg-type]
        smtp_security="starttls",
        common=CommonSettings(data_dir=tmp_path),
    )
    assert settings.smtp_options()["password"] == PASSWORD
    assert PASSWORD not in repr(settings)


# ---- /readyz -------------------------------------------------------------------------------


def _app(tmp_path: Path, smtp_port: int, **options: Any) -> TestClient:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        smtp_port=smtp_port,
        smtp_timeout_s=2.0,
        consume=False,
        common=CommonSettings(data_dir=tmp_path),
        **options,
    )
    return TestClient(create_app(settings, run_dispatcher=False))


def test_ready_when_the_store_and_the_tls_relay_answer(
    tmp_path: Path, starttls_relay: Relay, ca_file: Path
) -> None:
    options = {
        "smtp_security": "starttls",
        "smtp_username": USER,
        "smtp_password": PASSWORD,
        "smtp_ca_file": ca_file,
    }
    with _app(tmp_path, starttls_relay.port, **options) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"] == {"store": "up", "smtp": "up"}


def test_not_ready_while_the_relay_is_down_and_says_so(tmp_path: Path) -> None:
    with _app(tmp_path, free_port()) as client:
        answer = client.get("/readyz")
        assert client.get("/healthz").status_code == 200  # alive, just not ready
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["store"] == "up"
    assert checks["smtp"].startswith("down: ConnectionRefusedError")


def test_not_ready_while_the_broker_is_down(tmp_path: Path, plain_relay: Relay) -> None:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        smtp_port=plain_relay.port,
        consume=True,
        common=CommonSettings(data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}"),
    )
    # the lifespan's consumer keeps retrying in the background; /readyz answers meanwhile
    with TestClient(create_app(settings, run_dispatcher=False)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["smtp"] == "up" and checks["store"] == "up"
    assert checks["broker"].startswith("down:")
