"""Phone numbers: normalise what people type to E.164, insist on a mobile, mask for logs."""

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

REASONS = ("empty", "not_a_number", "invalid", "not_mobile")
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
# Digits in any script (Urdu speakers may type ۰۷۷۰۰…), spaces and the usual punctuation.
# Letters are refused rather than read as a vanity number or an extension.
_ALLOWED = re.compile(r"[\d\s+\-().]+")
# Ofcom keeps 07700 900000-900999 for drama, so it is never a real person's phone;
# libphonenumber calls it invalid, but demos and tests need a mobile that reaches nobody.
_OFCOM_DRAMA_MOBILES = re.compile(r"\+447700900\d{3}")
_MASK = "\u2022"


class InvalidPhoneNumber(ValueError):
    """A number an SMS cannot be sent to; ``reason`` is one of REASONS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def normalise_phone(raw: str, default_region: str = "GB") -> str:
    """Return the mobile number ``raw`` in E.164 form, such as "+447700900123".

    :param default_region: ISO 3166 region assumed for numbers without a country code.
    :raise InvalidPhoneNumber: when the text is empty, is not a number, is not a valid
        number, or is not a mobile.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("empty")
    if not _ALLOWED.fullmatch(text):
        raise InvalidPhoneNumber("not_a_number")
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException:
        raise InvalidPhoneNumber("not_a_number") from None
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if _OFCOM_DRAMA_MOBILES.fullmatch(e164):
        return e164
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("invalid")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidPhoneNumber("not_mobile")
    return e164


def mask_phone(e164: str) -> str:
    """Hide all but the country code and last 3 digits, e.g. "+44•••••••123"; never raises."""
    digits = re.sub(r"\D", "", e164 or "")
    if len(digits) < 6:
        return _MASK * 3
    country = ""
    if (e164 or "").strip().startswith("+"):
        try:
            country = str(phonenumbers.parse("+" + digits).country_code)
        except NumberParseException:
            country = ""
    rest = digits[len(country):]
    prefix = f"+{country}" if country else ""
    return prefix + _MASK * (len(rest) - 3) + rest[-3:]
