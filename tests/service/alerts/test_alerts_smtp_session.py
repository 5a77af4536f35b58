"""One SMTP session per delivery round: the messages of a round share it, a failed message
closes it, and a kept session the relay dropped is opened again for the message at hand.

A real SMTP server (aiosmtpd, the ``smtp_server`` fixture) counts the sessions (EHLO
greetings) and the messages it sees."""

from __future__ import annotations

import pytest

from planwatch_alerts.channels import EmailChannel
from planwatch_alerts.ports import Delivery, DeliveryError
from support.smtp import SmtpServer


@pytest.fixture
def channel(smtp_server: SmtpServer) -> EmailChannel:
    return EmailChannel("127.0.0.1", smtp_server.port, "planwatch@example.cn")


def mail(n: int) -> Delivery:
    return Delivery(["科技厅@example.cn"], [], f"提醒 {n}", f"正文 {n}", f"<m{n}@planwatch>")


def test_the_messages_of_a_round_share_one_session(
    smtp_server: SmtpServer, channel: EmailChannel
) -> None:
    with channel.session():
        for n in range(3):
            channel.send(mail(n))
    assert smtp_server.sessions == 1
    assert [m.message_id for m in smtp_server.messages] == [
        "<m0@planwatch>",
        "<m1@planwatch>",
        "<m2@planwatch>",
    ]
    # outside a round each message has a session of its own, closed after it
    channel.send(mail(3))
    channel.send(mail(4))
    assert smtp_server.sessions == 3 and len(smtp_server.messages) == 5


def test_a_kept_session_the_relay_drops_is_opened_again_for_the_message(
    smtp_server: SmtpServer, channel: EmailChannel
) -> None:
    with channel.session():
        channel.send(mail(0))
        # the relay ends the kept session at the next message (421: closing the channel)
        smtp_server.refuse_next(1, "421 4.7.0 too many messages in this session")
        channel.send(mail(1))
        channel.send(mail(2))
    assert [m.message_id for m in smtp_server.messages] == [
        "<m0@planwatch>",
        "<m1@planwatch>",
        "<m2@planwatch>",
    ]
    assert smtp_server.attempts == 4 and smtp_server.sessions == 2


def test_a_refused_message_closes_the_session_and_the_next_opens_another(
    smtp_server: SmtpServer, channel: EmailChannel
) -> None:
    with channel.session():
        channel.send(mail(0))
        smtp_server.refuse_next(1, "451 4.3.0 try again later")
        with pytest.raises(DeliveryError) as refused:
            channel.send(mail(1))
        assert refused.value.retryable
        channel.send(mail(2))
    assert [m.message_id for m in smtp_server.messages] == ["<m0@planwatch>", "<m2@planwatch>"]
    assert smtp_server.sessions == 2


def test_a_421_on_a_new_session_is_a_retryable_failure(
    smtp_server: SmtpServer, channel: EmailChannel
) -> None:
    smtp_server.refuse_next(1, "421 4.7.0 try again later")
    with channel.session(), pytest.raises(DeliveryError) as refused:
        channel.send(mail(0))
    assert refused.value.retryable and smtp_server.attempts == 1 and smtp_server.messages == []
