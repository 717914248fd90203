"""Tests of the sms package that open local sockets: the Twilio stand-in and the real client."""
