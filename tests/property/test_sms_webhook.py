"""The Twilio webhooks take any form calmly, and only Twilio's signature lets one in.

Arbitrary Body, From, To, MessageSid, AccountSid and NumMedia values (any Unicode Twilio can
send, control characters, NUL, huge bodies, empty values, fields left out, fields added),
posted to /sms/inbound. Properly signed, each is answered 200 and stored once per MessageSid,
or refused with 400 and not stored; never a 5xx. The same form unsigned, or signed with the
wrong token, for another URL or over other values, is refused with 401 or 403 and changes
nothing. Lone surrogates are left out: Twilio posts UTF-8, and the signature is computed over
UTF-8, so a form with them could never be signed.
"""

import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from feedback import jobs
from feedback.models import SmsMessage
from sms.signature import SIGNATURE_HEADER, sign

INBOUND = "/sms/inbound"
STATUS = "/sms/status"
# Database and client are shared by the examples, which count rows relative to themselves.
EXAMPLES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

_MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
_ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

TWILIO_TEXT = st.characters(exclude_categories=("Cs",))
SNIPPETS = ["<script>window.__pwned=1</script>", "'); DROP TABLE sms_messages;--", "\x00",
            "\r\n", "\x1b", "\x85", "\u202e", "😀", "ڈاکٹر", "STOP", "1", "SKIP", " "]
messy = st.lists(st.one_of(st.text(TWILIO_TEXT, max_size=10), st.sampled_from(SNIPPETS)),
                 max_size=5).map("".join)
hex32 = st.text("0123456789abcdef", min_size=32, max_size=32)
# A few MessageSids over and over, so that Twilio repeating itself is tried often.
repeated_sids = st.sampled_from([f"SM{n:032x}" for n in range(5)])
good_sids = st.one_of(repeated_sids, st.builds("{}{}".format, st.sampled_from(["SM", "MM"]), hex32),
                      repeated_sids.map(lambda sid: f" {sid}\n"))
message_sids = st.one_of(good_sids, repeated_sids.map(str.upper),
                         repeated_sids.map(lambda sid: sid[:-1]), messy)
good_numbers = st.one_of(st.sampled_from(["+447700900999", "+447700900111"]),
                         st.from_regex(_E164, fullmatch=True))
numbers = st.one_of(good_numbers, st.just("whatsapp:+447700900999"), st.just("07700900999"),
                    messy)
good_account = st.just("AC" + "0" * 32)
accounts = st.one_of(good_account, st.builds("AC{}".format, hex32), messy)
bodies = st.one_of(
    messy, st.just(""), st.text(TWILIO_TEXT, max_size=1_600),
    st.tuples(messy, st.integers(1_000, 40_000)).map(lambda t: t[0] * t[1]),  # huge
)
# What fits in an HTTP header: printable ASCII, mostly base64 as a real signature is.
signatures = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                     max_size=40)
# Twilio's counts and error codes are small; a signed form could carry any digits at all.
counts = st.one_of(st.integers(0, 10).map(str), st.integers(0, 10**40).map(str),
                   st.text("0123456789", min_size=1, max_size=30), messy)
OPTIONAL = {"Body": bodies, "NumMedia": counts, "SmsStatus": st.just("received"),
            "ApiVersion": st.just("2010-04-01"),
            "MediaUrl0": st.just("https://api.twilio.test/media/x.jpg")}
# Half like Twilio's (the fields it always fills, in its formats), half anything at all.
inbound_forms = st.one_of(
    st.fixed_dictionaries({"MessageSid": good_sids, "AccountSid": good_account,
                           "From": good_numbers, "To": good_numbers}, optional=OPTIONAL),
    st.fixed_dictionaries({}, optional={"MessageSid": message_sids, "AccountSid": accounts,
                                        "From": numbers, "To": numbers, **OPTIONAL}),
).flatmap(lambda form: st.dictionaries(messy, messy, max_size=2).map(
    lambda extra: {**extra, **form}))


def is_count(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 10 and int(value) < 2**31


def is_well_formed(form: dict) -> bool:
    """Whether the form is one Twilio could send: the fields it always fills, in its formats."""
    patterns = {"MessageSid": _MESSAGE_SID, "AccountSid": _ACCOUNT_SID, "From": _E164,
                "To": _E164}
    if not all(pattern.fullmatch((form.get(field) or "").strip())
               for field, pattern in patterns.items()):
        return False
    return is_count((form.get("NumMedia") or "0").strip())


@pytest.fixture
def enqueued(monkeypatch) -> list:
    """The jobs asked for, instead of run (which would text Twilio)."""
    calls = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: calls.append((func, args)))
    return calls


def post(client, app, path: str, form: dict, signature: str | None):
    headers = {} if signature is None else {SIGNATURE_HEADER: signature}
    return client.post(path, data=form, headers=headers)


def public(app, path: str) -> str:
    return app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def stored(db, sid: str | None = None) -> int:
    query = select(func.count()).select_from(SmsMessage)
    if sid is not None:
        query = query.where(SmsMessage.message_sid == sid)
    db.session.expire_all()
    return db.session.scalar(query)


@dataclass(frozen=True)
class Forger:
    """Someone without Twilio's auth token, or who reuses a signature made for other values."""

    other_path: str  # where a signature they hold was made for
    made_up: str  # a signature they invent


forgers = st.builds(Forger, st.sampled_from(["/sms/status", "/sms/inbound/", "/sms/inbound?x=1",
                                             "/sms/elsewhere"]), signatures)


def forgeries(app, path: str, form: dict, forger: Forger) -> list[tuple[str | None, int]]:
    """(signature, status expected) for requests that Twilio did not sign as they are."""
    token = app.config["TWILIO_AUTH_TOKEN"]
    other = forger.other_path if forger.other_path != path else "/sms/elsewhere"
    changed = {**form, "Body": (form.get("Body") or "") + "!"}
    return [
        (None, 401),
        ("", 401),
        (sign(token + "x", public(app, path), form), 403),
        (sign(token, public(app, other), form), 403),
        (sign(token, "https://attacker.test" + path, form), 403),
        (sign(token, public(app, path), changed), 403),
        (forger.made_up, 403),
    ]


def check_refused_unless_signed(client, app, db, path: str, form: dict, enqueued,
                                forger: Forger) -> None:
    before, jobs_before = stored(db), len(enqueued)
    for signature, status in forgeries(app, path, form, forger):
        answer = post(client, app, path, form, signature)
        assert answer.status_code == status, (signature, answer.status_code)
    assert stored(db) == before and len(enqueued) == jobs_before


TWILIO_FORM = {"MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "0" * 32,
               "From": "+447700900999", "To": "+447700900000", "Body": "1"}
FORGER = Forger("/sms/status", "bm90IGEgc2lnbmF0dXJl")


@EXAMPLES
@given(form=inbound_forms, forger=forgers)
# Counts too big for the INTEGER column, and for int() itself: both were 500s.
@example(form={**TWILIO_FORM, "NumMedia": "9" * 25}, forger=FORGER)
@example(form={**TWILIO_FORM, "NumMedia": "1" * 5000}, forger=FORGER)
@example(form={**TWILIO_FORM, "NumMedia": str(2**31)}, forger=FORGER)
def test_a_signed_inbound_text_is_stored_once_or_refused_and_a_forged_one_never_gets_in(
    app, db, client, enqueued, form, forger
):
    check_refused_unless_signed(client, app, db, INBOUND, form, enqueued, forger)

    sid = (form.get("MessageSid") or "").strip()
    well_formed = is_well_formed(form)
    # Only a well-formed sid is looked up: PostgreSQL refuses a NUL even in a query.
    before, jobs_before = stored(db), len(enqueued)
    already = stored(db, sid) if well_formed else 0
    answer = post(client, app, INBOUND, form, sign(app.config["TWILIO_AUTH_TOKEN"],
                                                   public(app, INBOUND), form))
    if not well_formed:
        assert answer.status_code == 400
        assert stored(db) == before and len(enqueued) == jobs_before
        return
    assert answer.status_code == 200 and "<Response></Response>" in answer.text
    assert stored(db, sid) == 1
    if already:  # Twilio repeating itself: acknowledged, nothing more stored or done
        assert stored(db) == before and len(enqueued) == jobs_before
        return
    assert stored(db) == before + 1
    row = db.session.scalars(select(SmsMessage).where(SmsMessage.message_sid == sid)).one()
    assert row.body == _CONTROL.sub("", form.get("Body") or "")
    assert row.num_media == int((form.get("NumMedia") or "0").strip())
    assert enqueued[jobs_before:] == [(jobs.handle_inbound_text, (row.id,))]


status_forms = st.fixed_dictionaries(
    {},
    optional={
        "MessageSid": message_sids, "MessageStatus": st.one_of(st.sampled_from(
            ["queued", "sent", "delivered", "undelivered", "failed", "read"]), messy),
        "ErrorCode": st.one_of(st.just(""), counts), "To": numbers,
        "AccountSid": st.just("AC" + "0" * 32),
    },
)


@EXAMPLES
@given(form=status_forms, forger=forgers)
@example(form={"MessageSid": "SM" + "2" * 32, "MessageStatus": "failed", "ErrorCode": "9" * 25},
         forger=FORGER)
def test_a_signed_status_callback_never_fails_and_a_forged_one_never_gets_in(
    app, db, client, enqueued, form, forger
):
    check_refused_unless_signed(client, app, db, STATUS, form, enqueued, forger)
    answer = post(client, app, STATUS, form, sign(app.config["TWILIO_AUTH_TOKEN"],
                                                  public(app, STATUS), form))
    assert answer.status_code in (200, 400), answer.status_code
