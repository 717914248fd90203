"""Unit tests for the sms package: no sockets, no app."""
