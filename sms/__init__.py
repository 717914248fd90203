"""The SMS gateway: Twilio client, signatures, payloads, phone numbers; no Flask imports."""
