"""Twilio webhook forms (inbound messages, status callbacks) checked and turned into dataclasses."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

MESSAGE_STATUSES = frozenset(
    {
        "queued", "sending", "sent", "delivered", "undelivered", "failed", "accepted",
        "scheduled", "read", "canceled", "receiving", "received",
    }
)
_MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
_ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# Counts and error codes are stored in INTEGER columns. Twilio's are far smaller (up to 10
# media, five-digit error codes); a bigger number in a signed form is refused, not a 500.
MAX_COUNT = 2**31 - 1
# C0 controls except tab, newline and carriage return; DEL; C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class InvalidPayload(ValueError):
    """A webhook form that is not what Twilio sends; ``field`` names the form field at fault."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


@dataclass(frozen=True)
class InboundMessage:
    """An SMS a person sent to our number; ``message_sid`` is the idempotency key."""

    message_sid: str
    account_sid: str
    from_number: str  # E.164
    to_number: str  # E.164, our number
    body: str  # may be empty when the message only carries media
    num_media: int


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery status callback for a message we sent."""

    message_sid: str
    status: str  # one of MESSAGE_STATUSES
    error_code: int | None
    to_number: str | None


def parse_inbound(form: Mapping[str, str]) -> InboundMessage:
    """Check and convert the form Twilio posts to the inbound message webhook.

    :raise InvalidPayload: when a field is missing or malformed.
    """
    return InboundMessage(
        message_sid=_matching(form, "MessageSid", _MESSAGE_SID),
        account_sid=_matching(form, "AccountSid", _ACCOUNT_SID),
        from_number=_matching(form, "From", _E164),
        to_number=_matching(form, "To", _E164),
        body=_CONTROL.sub("", form.get("Body") or ""),
        num_media=_count(form, "NumMedia"),
    )


def parse_status(form: Mapping[str, str]) -> StatusUpdate:
    """Check and convert the form Twilio posts to a message's status callback.

    :raise InvalidPayload: when a field is missing or malformed.
    """
    message_sid = _matching(form, "MessageSid", _MESSAGE_SID)
    status = (form.get("MessageStatus") or "").strip()
    if status not in MESSAGE_STATUSES:
        raise InvalidPayload("MessageStatus")
    to_number = (form.get("To") or "").strip() or None
    if to_number is not None and not _E164.fullmatch(to_number):
        raise InvalidPayload("To")
    error_code = _count(form, "ErrorCode") if (form.get("ErrorCode") or "").strip() else None
    return StatusUpdate(
        message_sid=message_sid,
        status=status,
        error_code=error_code,
        to_number=to_number,
    )


def _matching(form: Mapping[str, str], field: str, pattern: re.Pattern[str]) -> str:
    value = (form.get(field) or "").strip()
    if not pattern.fullmatch(value):
        raise InvalidPayload(field)
    return value


def _count(form: Mapping[str, str], field: str) -> int:
    value = (form.get(field) or "0").strip()
    # Length first: int() refuses strings of over 4,300 digits with a ValueError of its own.
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_COUNT:
        raise InvalidPayload(field)
    return int(value)
