"""The real twilio client against the local stand-in: sends, faults, callbacks, inbound."""

import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from sms.client import SmsSendError, TwilioSettings, build_client, send_sms
from sms.payloads import parse_inbound, parse_status
from sms.signature import SIGNATURE_HEADER, is_valid_signature
from sms.standin import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, DEV_PHONE_NUMBER, TwilioStandIn

PHONE = "+447700900123"
ROOT = Path(__file__).resolve().parents[3]
AUTH = (DEV_ACCOUNT_SID, DEV_AUTH_TOKEN)


def messages_url(standin):
    return f"{standin.base_url}/2010-04-01/Accounts/{DEV_ACCOUNT_SID}/Messages.json"


def assert_signed(received, url):
    signature = received.headers.get(SIGNATURE_HEADER)
    assert is_valid_signature(DEV_AUTH_TOKEN, url, received.form, signature)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_real_client_sends_a_message_the_stand_in_records(standin, client, settings):
    sent = send_sms(client, settings, to=PHONE, body="How was your appointment? Reply 1-5")
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert (sent.status, sent.segments) == ("queued", 1)
    [message] = standin.messages(to=PHONE)
    assert (message.sid, message.to_number) == (sent.sid, PHONE)
    assert message.from_number == DEV_PHONE_NUMBER
    assert message.body == "How was your appointment? Reply 1-5"
    assert message.direction == "outbound-api"


def test_answer_has_twilio_shape_and_the_client_can_fetch_it(standin, client, settings):
    sent = send_sms(client, settings, to=PHONE, body="ŵ" * 71)
    assert sent.segments == 2
    standin.wait_idle()
    fetched = client.messages(sent.sid).fetch()
    assert (fetched.status, fetched.num_segments, fetched.direction) == ("delivered", "2",
                                                                         "outbound-api")
    assert fetched.date_created is not None and fetched.api_version == "2010-04-01"
    assert fetched.uri == f"/2010-04-01/Accounts/{DEV_ACCOUNT_SID}/Messages/{sent.sid}.json"


def test_messaging_service_send_is_accepted_and_given_a_sender(standin):
    service = "MG" + "0" * 32
    settings = TwilioSettings(DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, messaging_service_sid=service,
                              api_base_url=standin.base_url)
    sent = send_sms(build_client(settings), settings, to=PHONE, body="Hello")
    assert sent.status == "accepted"
    [message] = standin.messages()
    assert (message.from_number, message.messaging_service_sid) == (DEV_PHONE_NUMBER, service)


def test_wrong_auth_token_is_refused_with_401_and_not_retried(standin):
    settings = TwilioSettings(DEV_ACCOUNT_SID, "wrong-token", from_number=DEV_PHONE_NUMBER,
                              api_base_url=standin.base_url)
    with pytest.raises(SmsSendError) as caught:
        send_sms(build_client(settings), settings, to=PHONE, body="Hello")
    error = caught.value
    assert (error.http_status, error.code, error.retryable) == (401, 20003, False)
    assert standin.messages() == []


def test_error_has_twilio_json_shape(standin):
    answer = requests.post(messages_url(standin), data={"To": PHONE, "Body": "x"},
                           auth=(DEV_ACCOUNT_SID, "wrong"), timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"code": 20003, "message": "Authenticate", "status": 401,
                             "more_info": "https://www.twilio.com/docs/errors/20003"}


@pytest.mark.parametrize("status", [429, 503])
def test_injected_failure_is_retryable_and_the_next_send_succeeds(
    standin, client, settings, status
):
    standin.fail_next(status)
    with pytest.raises(SmsSendError) as caught:
        send_sms(client, settings, to=PHONE, body="Hello")
    assert (caught.value.http_status, caught.value.code) == (status, 20000 + status)
    assert caught.value.retryable
    assert send_sms(client, settings, to=PHONE, body="Hello").status == "queued"
    assert len(standin.messages()) == 1


def test_injected_failure_can_last_several_sends(standin, client, settings):
    standin.fail_next(500, 20500, times=2)
    for _ in range(2):
        with pytest.raises(SmsSendError):
            send_sms(client, settings, to=PHONE, body="Hello")
    send_sms(client, settings, to=PHONE, body="Hello")


def test_opted_out_number_is_refused_with_21610(standin, client, settings):
    standin.opt_out("07700 900123")
    with pytest.raises(SmsSendError) as caught:
        send_sms(client, settings, to=PHONE, body="Hello")
    error = caught.value
    assert (error.code, error.opted_out, error.retryable) == (21610, True, False)
    standin.opt_in(PHONE)
    send_sms(client, settings, to=PHONE, body="Hello")


@pytest.mark.parametrize(("to", "code"), [("+4412", 21211), ("+442079460018", 21614)])
def test_number_that_cannot_get_sms_is_refused(client, settings, to, code):
    with pytest.raises(SmsSendError) as caught:
        send_sms(client, settings, to=to, body="Hello")
    assert (caught.value.code, caught.value.invalid_number) == (code, True)


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"Body": "x", "From": DEV_PHONE_NUMBER}, 21604),
        ({"To": PHONE, "From": DEV_PHONE_NUMBER}, 21602),
        ({"To": PHONE, "Body": "x"}, 21603),
        ({"To": PHONE, "From": DEV_PHONE_NUMBER, "Body": "x" * 1601}, 21617),
    ],
)
def test_send_missing_a_field_is_refused_as_twilio_does(standin, form, code):
    answer = requests.post(messages_url(standin), data=form, auth=AUTH, timeout=5)
    assert (answer.status_code, answer.json()["code"]) == (400, code)


def test_unknown_path_answers_404_in_twilio_shape(standin):
    answer = requests.get(f"{standin.base_url}/2010-04-01/Calls.json", auth=AUTH, timeout=5)
    assert (answer.status_code, answer.json()["code"]) == (404, 20404)


def test_status_callbacks_arrive_signed_sent_then_delivered(standin, client, settings, receiver):
    callback = receiver.url("/sms/status?attempt=1")
    sent = send_sms(client, settings, to=PHONE, body="Hello", status_callback=callback)
    received = receiver.wait_for(2)
    assert [r.form["MessageStatus"] for r in received] == ["sent", "delivered"]
    for request in received:
        assert request.path == "/sms/status?attempt=1"
        assert_signed(request, callback)
        update = parse_status(request.form)
        assert (update.message_sid, update.to_number, update.error_code) == (sent.sid, PHONE, None)
    standin.wait_idle()
    assert standin.messages()[0].status == "delivered"


@pytest.mark.parametrize(
    ("outcome", "statuses", "error_code"),
    [("undelivered", ["sent", "undelivered"], 30003), ("failed", ["failed"], 30008)],
)
def test_delivery_failure_is_reported_with_an_error_code(
    standin, client, settings, receiver, outcome, statuses, error_code
):
    standin.set_delivery(PHONE, outcome)
    send_sms(client, settings, to=PHONE, body="Hello", status_callback=receiver.url("/s"))
    standin.wait_idle()
    received = receiver.wait_for(len(statuses))
    assert [parse_status(r.form).status for r in received] == statuses
    assert parse_status(received[-1].form).error_code == error_code
    assert standin.messages()[0].error_code == error_code


def test_unreachable_callback_is_logged_and_the_server_carries_on(
    standin, client, settings, caplog
):
    dead = f"http://127.0.0.1:{free_port()}/sms/status"
    with caplog.at_level(logging.WARNING, logger="sms.standin"):
        send_sms(client, settings, to=PHONE, body="Hello", status_callback=dead)
        assert standin.wait_idle()
    assert "could not post status" in caplog.text
    assert send_sms(client, settings, to=PHONE, body="Again").status == "queued"


def test_send_inbound_posts_a_signed_form_and_returns_the_answer(standin, receiver):
    receiver.answer = (200, "<Response/>")
    url = receiver.url("/sms/inbound?survey=7")
    status, body = standin.send_inbound(from_number=PHONE, body="5 – great", url=url)
    assert (status, body) == (200, "<Response/>")
    [request] = receiver.requests
    assert_signed(request, url)
    message = parse_inbound(request.form)
    assert (message.from_number, message.to_number, message.body) == (PHONE, DEV_PHONE_NUMBER,
                                                                       "5 – great")
    assert (request.form["NumMedia"], request.form["NumSegments"]) == ("0", "1")
    assert request.form["AccountSid"] == DEV_ACCOUNT_SID


def test_send_inbound_repeats_a_message_sid_as_twilio_may(standin, receiver):
    sid = "SM" + "9" * 32
    for _ in range(2):
        standin.send_inbound(from_number=PHONE, body="Yes", message_sid=sid, url=receiver.url("/i"))
    assert [r.form["MessageSid"] for r in receiver.requests] == [sid, sid]
    assert len(standin.conversation(PHONE)) == 1


def test_send_inbound_returns_an_error_the_app_answers(standin, receiver):
    receiver.answer = (403, "forbidden")
    assert standin.send_inbound(from_number=PHONE, body="x", url=receiver.url("/i")) == (403,
                                                                                      "forbidden")


def test_send_inbound_uses_the_inbound_url_given_to_the_stand_in(receiver):
    with TwilioStandIn(inbound_url=receiver.url("/sms/inbound")) as standin:
        standin.send_inbound(from_number=PHONE, body="Hi")
    assert receiver.requests[0].path == "/sms/inbound"


def test_texting_stop_opts_out_as_twilio_does_and_start_opts_back_in(
    standin, client, settings, receiver
):
    standin.send_inbound(from_number=PHONE, body=" stop ", url=receiver.url("/i"))
    with pytest.raises(SmsSendError) as caught:
        send_sms(client, settings, to=PHONE, body="Hello")
    assert caught.value.opted_out
    standin.send_inbound(from_number=PHONE, body="START", url=receiver.url("/i"))
    send_sms(client, settings, to=PHONE, body="Hello")
    assert len(receiver.requests) == 2  # the app still hears both


def test_control_api_lists_messages_to_a_number_newest_last(standin, client, settings):
    for body in ("first", "second"):
        send_sms(client, settings, to=PHONE, body=body)
    send_sms(client, settings, to="+447700900999", body="other")
    answer = requests.get(f"{standin.base_url}/_standin/messages", params={"to": PHONE},
                          auth=AUTH, timeout=5)
    assert answer.status_code == 200
    assert [m["body"] for m in answer.json()["messages"]] == ["first", "second"]
    # An unencoded "+" arrives as a space and still finds the number.
    raw = requests.get(f"{standin.base_url}/_standin/messages?to={PHONE}", auth=AUTH, timeout=5)
    assert len(raw.json()["messages"]) == 2


def test_control_api_needs_the_account_credentials(standin):
    answer = requests.get(f"{standin.base_url}/_standin/messages", timeout=5)
    assert answer.status_code == 401


def test_control_api_sends_an_inbound_message_and_shows_the_conversation(receiver, client):
    with TwilioStandIn(inbound_url=receiver.url("/sms/inbound")) as standin:
        answer = requests.post(f"{standin.base_url}/_standin/inbound", auth=AUTH, timeout=5,
                               json={"from": "07700 900123", "body": "Hello"})
        assert answer.status_code == 202
        assert answer.json()["from"] == PHONE
        [request] = receiver.wait_for(1)
        assert_signed(request, receiver.url("/sms/inbound"))
        assert request.form["MessageSid"] == answer.json()["message_sid"]
        settings = TwilioSettings(DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, from_number=DEV_PHONE_NUMBER,
                                  api_base_url=standin.base_url)
        send_sms(build_client(settings), settings, to=PHONE, body="Thanks")
        standin.wait_idle()
        shown = requests.get(f"{standin.base_url}/_standin/conversation",
                             params={"number": PHONE}, auth=AUTH, timeout=5).json()["messages"]
    assert [(m["direction"], m["body"]) for m in shown] == [("inbound", "Hello"),
                                                             ("outbound-api", "Thanks")]
    assert shown[0]["webhook_status"] == 200


@pytest.mark.parametrize(
    "payload", [{"from": "not a phone", "body": "x"}, {"from": PHONE}, ["not", "an", "object"]]
)
def test_control_api_refuses_a_bad_inbound_message(standin, payload):
    answer = requests.post(f"{standin.base_url}/_standin/inbound", auth=AUTH, json=payload,
                           timeout=5)
    assert answer.status_code == 400


def test_command_line_prints_where_it_listens_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "sms.standin", "--port", "0", "--inbound-url", "http://127.0.0.1:9/i"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("Twilio stand-in listening on http://127.0.0.1:")
        base_url = line.split()[4]
        answer = requests.get(f"{base_url}/_standin/messages", auth=AUTH, timeout=5)
        assert answer.json() == {"messages": []}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.stdout.close()
