"""Short sheet references for paper forms: a number in Crockford base 32 with a check symbol.

Crockford's alphabet leaves out I, L, O and U, so a reference read off a sheet cannot be
mistaken for another; the check symbol (mod 37) catches a mistyped or swapped character.
"""

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_SYMBOLS = ALPHABET + "*~$=U"
_READ_AS = {"O": "0", "I": "1", "L": "1"}
WIDTH = 5  # up to 32^5 = 33,554,432 sheets


class InvalidReference(ValueError):
    pass


def encode(number: int) -> str:
    """Sheet number -> reference such as "00A3K-7"."""
    if number < 0:
        raise ValueError("sheet numbers start at 0")
    digits = ""
    value = number
    while value:
        value, remainder = divmod(value, 32)
        digits = ALPHABET[remainder] + digits
    return f"{digits.rjust(WIDTH, '0')}-{CHECK_SYMBOLS[number % 37]}"


def decode(reference: str) -> int:
    """Reference as typed (any case, spaces, O for 0) -> sheet number. :raise InvalidReference:"""
    text = "".join((reference or "").upper().split()).replace("-", "")
    if len(text) < 2:
        raise InvalidReference("too short")
    body, check = text[:-1], text[-1]
    number = 0
    for char in body:
        char = _READ_AS.get(char, char)
        if char not in ALPHABET:
            raise InvalidReference(f"unexpected character {char!r}")
        number = number * 32 + ALPHABET.index(char)
    if CHECK_SYMBOLS[number % 37] not in (check, _READ_AS.get(check, check)):
        raise InvalidReference("check symbol does not match")
    return number


def normalise(reference: str) -> str:
    """The canonical spelling of a reference. :raise InvalidReference:"""
    return encode(decode(reference))
