"""Checking the forms Twilio posts to the inbound and status webhooks."""

import pytest

from sms.payloads import (
    MESSAGE_STATUSES,
    InboundMessage,
    InvalidPayload,
    StatusUpdate,
    parse_inbound,
    parse_status,
)

MESSAGE_SID = "SM" + "0123456789abcdef" * 2
ACCOUNT_SID = "AC" + "fedcba9876543210" * 2


def inbound_form(**changes):
    form = {
        "MessageSid": MESSAGE_SID, "SmsSid": MESSAGE_SID, "AccountSid": ACCOUNT_SID,
        "From": "+447700900123", "To": "+447700900000", "Body": "5", "NumMedia": "0",
        "NumSegments": "1", "ApiVersion": "2010-04-01",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def status_form(**changes):
    form = {
        "MessageSid": MESSAGE_SID, "AccountSid": ACCOUNT_SID, "MessageStatus": "delivered",
        "To": "+447700900123", "From": "+447700900000",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_inbound_form_becomes_a_message():
    assert parse_inbound(inbound_form()) == InboundMessage(
        message_sid=MESSAGE_SID, account_sid=ACCOUNT_SID, from_number="+447700900123",
        to_number="+447700900000", body="5", num_media=0,
    )


def test_inbound_mms_with_only_media_has_an_empty_body():
    mms_sid = "MM" + MESSAGE_SID[2:]
    message = parse_inbound(inbound_form(MessageSid=mms_sid, Body="", NumMedia="2"))
    assert (message.message_sid, message.body, message.num_media) == (mms_sid, "", 2)


def test_inbound_body_keeps_newlines_and_loses_control_characters():
    message = parse_inbound(inbound_form(Body="Line\x00 one\r\nLine\ttwo\x1b\x7f\x85"))
    assert message.body == "Line one\r\nLine\ttwo"


def test_inbound_body_is_never_truncated():
    body = "ŵ" * 1600
    assert parse_inbound(inbound_form(Body=body)).body == body


def test_inbound_body_may_be_missing():
    assert parse_inbound(inbound_form(Body=None)).body == ""


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"MessageSid": None}, "MessageSid"),
        ({"MessageSid": ""}, "MessageSid"),
        ({"MessageSid": "SM123"}, "MessageSid"),
        ({"MessageSid": "SM" + "0123456789ABCDEF" * 2}, "MessageSid"),
        ({"MessageSid": "CA" + "0123456789abcdef" * 2}, "MessageSid"),
        ({"MessageSid": MESSAGE_SID + "0"}, "MessageSid"),
        ({"AccountSid": None}, "AccountSid"),
        ({"AccountSid": "AC123"}, "AccountSid"),
        ({"From": None}, "From"),
        ({"From": ""}, "From"),
        ({"From": "07700900123"}, "From"),
        ({"From": "whatsapp:+447700900123"}, "From"),
        ({"To": None}, "To"),
        ({"NumMedia": "-1"}, "NumMedia"),
        ({"NumMedia": "two"}, "NumMedia"),
    ],
)
def test_inbound_form_is_refused_when_a_field_is_wrong(changes, field):
    with pytest.raises(InvalidPayload) as caught:
        parse_inbound(inbound_form(**changes))
    assert caught.value.field == field


@pytest.mark.parametrize("status", sorted(MESSAGE_STATUSES))
def test_status_form_becomes_an_update_for_every_twilio_status(status):
    assert parse_status(status_form(MessageStatus=status)) == StatusUpdate(
        message_sid=MESSAGE_SID, status=status, error_code=None, to_number="+447700900123"
    )


def test_status_form_carries_the_error_code_of_a_failure():
    update = parse_status(status_form(MessageStatus="undelivered", ErrorCode="30003"))
    assert (update.status, update.error_code) == ("undelivered", 30003)


def test_status_form_may_leave_out_to():
    assert parse_status(status_form(To=None)).to_number is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"MessageSid": None}, "MessageSid"),
        ({"MessageSid": "SMnot-a-sid"}, "MessageSid"),
        ({"MessageStatus": None}, "MessageStatus"),
        ({"MessageStatus": ""}, "MessageStatus"),
        ({"MessageStatus": "lost"}, "MessageStatus"),
        ({"MessageStatus": "Delivered"}, "MessageStatus"),
        ({"ErrorCode": "3000x"}, "ErrorCode"),
        ({"To": "not a number"}, "To"),
    ],
)
def test_status_form_is_refused_when_a_field_is_wrong(changes, field):
    with pytest.raises(InvalidPayload) as caught:
        parse_status(status_form(**changes))
    assert caught.value.field == field
