"""What OCPP says identifiers and passwords look like: idTokens per type, the eMAID and its
check digit, the basic-auth password of 2.0.1 and the AuthorizationKey of 1.6.

Each ``*_problem`` function answers ``None`` for a value that keeps the rule, or the rule it
breaks, phrased to follow "must be" ("an ISO14443 UID: 8 or 14 hex digits ..."), so callers
can name the value and say what it should be. Only the standard library: this module sits
below ``settings``.

Sources: OCPP 2.0.1 Part 2 (IdTokenType, IdTokenEnumType, identifierString, passwordString,
SecurityCtrlr.BasicAuthPassword); the OCPP 1.6 JSON schemas (idTag: CiString20Type) and the
1.6 security white paper (AuthorizationKey); ISO 15118-1 Annex H / eMI3 for the eMAID; the
eMI3 "Check Digit Calculation for Contract-IDs" (Chen, Niemenmaa, Vinck) for its check digit.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass

# 2.0.1 IdTokenEnumType, as the schema lists it.
ID_TOKEN_TYPES = ("Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization")
ID_TOKEN_MAX_LENGTH = 36  # 2.0.1 IdTokenType.idToken (identifierString[36])
ID_TAG_MAX_LENGTH = 20  # 1.6 idTag / parentIdTag (CiString20Type)
ID_TOKEN_LENGTH_RULE = f"at most {ID_TOKEN_MAX_LENGTH} characters (OCPP 2.0.1 IdTokenType.idToken)"

# identifierString and passwordString (2.0.1 Part 2, primitive datatypes) share this set; the
# first is case-insensitive, the second case-sensitive.
_STRING_CHARACTERS = frozenset(string.ascii_letters + string.digits + "*-_=:+|@.")
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 16, 40  # SecurityCtrlr.BasicAuthPassword
AUTHORIZATION_KEY_MIN_BYTES, AUTHORIZATION_KEY_MAX_BYTES = 16, 20  # 1.6 AuthorizationKey, in hex

_HEX = frozenset(string.hexdigits)


def is_identifier_string(value: str) -> bool:
    """Only the characters OCPP 2.0.1 allows in an identifierString (and a passwordString)."""
    return all(c in _STRING_CHARACTERS for c in value)


def is_hex(value: str, *lengths: int) -> bool:
    """Hexadecimal digits only, and (when given) one of ``lengths`` of them."""
    return bool(value) and all(c in _HEX for c in value) and (not lengths or len(value) in lengths)


# -- idTokens --------------------------------------------------------------------------------


def id_token_type_problem(type_: str) -> str | None:
    """2.0.1: the type must be one of IdTokenEnumType (the schema's enum, case included)."""
    return None if type_ in ID_TOKEN_TYPES else f"one of {', '.join(ID_TOKEN_TYPES)} (OCPP 2.0.1 IdTokenEnumType)"


def id_token_problem(value: str, type_: str) -> str | None:
    """2.0.1: the rule ``value`` breaks as an IdTokenType of ``type_`` (an unknown type: none)."""
    if len(value) > ID_TOKEN_MAX_LENGTH:
        return ID_TOKEN_LENGTH_RULE
    if type_ == "NoAuthorization":
        return None if value == "" else "empty for type NoAuthorization (OCPP 2.0.1 IdTokenEnumType)"
    if not is_identifier_string(value):
        return "an identifierString: letters, digits and * - _ = : + | @ . only (OCPP 2.0.1)"
    return _FORMATS[type_](value) if type_ in _FORMATS else None


def id_tag_problem(value: str) -> str | None:
    """1.6: an idTag (and a parentIdTag) is a CiString20Type."""
    return None if len(value) <= ID_TAG_MAX_LENGTH else f"at most {ID_TAG_MAX_LENGTH} characters (OCPP 1.6 idTag)"


def _iso14443(value: str) -> str | None:
    return None if is_hex(value, 8, 14) else "an ISO14443 UID: 4 or 7 bytes as 8 or 14 hex digits (OCPP 2.0.1)"


def _iso15693(value: str) -> str | None:
    return None if is_hex(value, 16) else "an ISO15693 UID: 8 bytes as 16 hex digits (OCPP 2.0.1)"


_MAC = re.compile(r"[0-9A-Fa-f]{12}|[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}")


def _mac_address(value: str) -> str | None:
    if _MAC.fullmatch(value):
        return None
    return "the MAC address of the EVCC: 6 bytes as 12 hex digits, maybe in pairs split by : or - (OCPP 2.0.1)"


# -- the eMAID and its check digit -----------------------------------------------------------

_EMAID = re.compile(r"(?P<country>[A-Za-z]{2})-?(?P<provider>[A-Za-z0-9]{3})-?(?P<instance>[A-Za-z0-9]{9})"
                    r"(?:-?(?P<check>[A-Za-z0-9]))?")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_Matrix = tuple[tuple[int, int], tuple[int, int]]
_Vector = tuple[int, int]
# The check works in two parts: each character's value v = 18*q1 + 9*q2 + 3*r1 + r2 gives a
# vector q = (q1, q2) over GF(2) and r = (r1, r2) over GF(3); position i weighs q by P2^i and
# r by P3^i; the check character is the one that brings both sums over all 15 positions to 0.
_P2: _Matrix = ((0, 1), (1, 1))  # over GF(2), of order 3
_P3: _Matrix = ((0, 1), (1, 2))  # over GF(3), of order 8


@dataclass(frozen=True)
class Emaid:
    """An eMAID split into its parts (ISO 15118-1 Annex H: <country><provider><instance><check>)."""

    country: str
    provider: str
    instance: str
    check: str | None

    @property
    def body(self) -> str:
        """The 14 characters the check digit is computed over, upper case, without separators."""
        return f"{self.country}{self.provider}{self.instance}".upper()


def parse_emaid(value: str) -> Emaid | None:
    """The parts of ``value`` (with or without the ``-`` separators, check digit optional), or None."""
    found = _EMAID.fullmatch(value)
    if found is None:
        return None
    return Emaid(found["country"], found["provider"], found["instance"], found["check"])


def emaid_check_digit(body: str) -> str:
    """The eMI3 / ISO 15118 check character of a 14-character eMAID without separators.

    >>> emaid_check_digit("DE83DUIEN83QGZ")
    'D'
    """
    if len(body) != 14 or any(c not in _ALPHABET for c in body.upper()):
        raise ValueError(f"an eMAID body is 14 letters and digits, got {body!r}")
    q_sum, r_sum = _weighted_sums(body.upper())
    return next(c for c in _ALPHABET if _weighted_sums(c, 15, q_sum, r_sum) == ((0, 0), (0, 0)))


def _weighted_sums(text: str, first: int = 1, q_sum: _Vector = (0, 0),
                   r_sum: _Vector = (0, 0)) -> tuple[_Vector, _Vector]:
    """Add each character's q·P2^i (mod 2) and r·P3^i (mod 3), i counting from ``first``."""
    for position, char in enumerate(text, start=first):
        value = _ALPHABET.index(char)
        q, r = divmod(value, 9)
        q_sum = _add(q_sum, _times(divmod(q, 2), _P2_POWERS[position], 2), 2)
        r_sum = _add(r_sum, _times(divmod(r, 3), _P3_POWERS[position], 3), 3)
    return q_sum, r_sum


def _times(vector: _Vector, matrix: _Matrix, modulus: int) -> _Vector:
    """The row vector times the matrix."""
    (a, b), (c, d) = matrix
    return (vector[0] * a + vector[1] * c) % modulus, (vector[0] * b + vector[1] * d) % modulus


def _power(matrix: _Matrix, exponent: int, modulus: int) -> _Matrix:
    result: _Matrix = ((1, 0), (0, 1))
    for _ in range(exponent):
        result = (_times(result[0], matrix, modulus), _times(result[1], matrix, modulus))
    return result


def _add(left: _Vector, right: _Vector, modulus: int) -> _Vector:
    return (left[0] + right[0]) % modulus, (left[1] + right[1]) % modulus


_P2_POWERS = [_power(_P2, i, 2) for i in range(16)]
_P3_POWERS = [_power(_P3, i, 3) for i in range(16)]


def emaid_problem(value: str) -> str | None:
    """ISO 15118 eMAID: CC-PPP-IIIIIIIII-D (separators optional); a check digit given must be right."""
    emaid = parse_emaid(value)
    if emaid is None:
        return ("an eMAID: 2 letters country, 3 letters/digits provider, 9 letters/digits instance, "
                "a check character, - between them optional (ISO 15118-1 Annex H)")
    if emaid.check is not None and emaid.check.upper() != emaid_check_digit(emaid.body):
        right = emaid_check_digit(emaid.body)
        return f"an eMAID with the right check character ({emaid.body} takes {right}; eMI3, ISO 15118-1 Annex H)"
    return None


# Central, Local and KeyCode have no format beyond identifierString[36]: the spec says "no
# format defined, might be a UUID" and "a private key-code, e.g. a PIN".
_FORMATS: dict[str, Callable[[str], str | None]] = {
    "ISO14443": _iso14443, "ISO15693": _iso15693, "MacAddress": _mac_address, "eMAID": emaid_problem}


# -- passwords -------------------------------------------------------------------------------


def basic_auth_password_problem(value: str) -> str | None:
    """2.0.1 SecurityCtrlr.BasicAuthPassword: a passwordString of 16 to 40 characters."""
    if not PASSWORD_MIN_LENGTH <= len(value) <= PASSWORD_MAX_LENGTH:
        return (f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters "
                "(OCPP 2.0.1 SecurityCtrlr.BasicAuthPassword)")
    if not is_identifier_string(value):
        return "a passwordString: letters, digits and * - _ = : + | @ . only (OCPP 2.0.1)"
    return None


def authorization_key_problem(value: str) -> str | None:
    """1.6 security extension AuthorizationKey: 16 to 20 bytes, written as 32 to 40 hex digits."""
    lengths = range(2 * AUTHORIZATION_KEY_MIN_BYTES, 2 * AUTHORIZATION_KEY_MAX_BYTES + 1, 2)
    if is_hex(value, *lengths):
        return None
    return (f"{AUTHORIZATION_KEY_MIN_BYTES} to {AUTHORIZATION_KEY_MAX_BYTES} bytes as "
            f"{2 * AUTHORIZATION_KEY_MIN_BYTES} to {2 * AUTHORIZATION_KEY_MAX_BYTES} hex digits "
            "(OCPP 1.6 security extension AuthorizationKey)")
