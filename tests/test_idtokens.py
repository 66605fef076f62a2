"""OCPP's rules for identifiers and passwords: idTokens per type, the eMAID check digit, passwords."""

from __future__ import annotations

import string

import pytest

from csmscheck.idtokens import (
    ID_TOKEN_TYPES,
    authorization_key_problem,
    basic_auth_password_problem,
    emaid_check_digit,
    emaid_problem,
    id_tag_problem,
    id_token_problem,
    id_token_type_problem,
    is_identifier_string,
    parse_emaid,
)
from csmscheck.station.states.v16_security import new_password

# Published contract ids and their check characters: the eMI3 examples (also the test vectors
# of the New Motion "mobilityid" library) and the three ids of that library's README
# (NL-TNM-000122045-U, NL-TNM-C00122045-K) and tests (NL-TNM-000722345-X). DE83DUIEN83QGZ-D is
# the worked example of Annex 1 of the IDRR "E-mobility ID-codes" document.
CHECK_DIGITS = {
    "NN123ABCDEFGHI": "T",
    "FRXYZ123456789": "2",
    "ITA1B2C3E4F5G6": "4",
    "ESZU8WOX834H1D": "R",
    "PT73902837ABCZ": "Z",
    "DE83DUIEN83QGZ": "D",
    "DE83DUIEN83ZGQ": "M",
    "DE8AA001234567": "0",
    "NLTNM000122045": "U",
    "NLTNMC00122045": "K",
    "NLTNM000722345": "X",
}
ALPHANUMERIC = string.digits + string.ascii_uppercase


# -- the eMAID check digit --------------------------------------------------------------------


@pytest.mark.parametrize(("body", "check"), CHECK_DIGITS.items())
def test_check_digit_of_published_contract_ids(body: str, check: str) -> None:
    assert emaid_check_digit(body) == check
    assert emaid_check_digit(body.lower()) == check  # contract ids are case-insensitive


@pytest.mark.parametrize("body", ["", "DE8AA00123456", "DE8AA0012345678", "DE-8AA-00123456", "DE8AA00123456Ä"])
def test_check_digit_needs_fourteen_letters_and_digits(body: str) -> None:
    with pytest.raises(ValueError, match="14 letters and digits"):
        emaid_check_digit(body)


@pytest.mark.parametrize("body", list(CHECK_DIGITS))
def test_check_digit_catches_every_single_error_and_adjacent_transposition(body: str) -> None:
    """What the scheme is built for: one wrong character, or two neighbours swapped, is always caught."""
    emaid = body + CHECK_DIGITS[body]
    assert emaid_problem(emaid) is None
    for position, original in enumerate(emaid):
        for other in ALPHANUMERIC.replace(original, ""):
            changed = emaid[:position] + other + emaid[position + 1:]
            if parse_emaid(changed) is not None:  # a digit where the country's letters go is no eMAID at all
                assert emaid_problem(changed) is not None, changed
    for position in range(len(emaid) - 1):
        swapped = emaid[:position] + emaid[position + 1] + emaid[position] + emaid[position + 2:]
        if swapped != emaid and parse_emaid(swapped) is not None:
            assert emaid_problem(swapped) is not None, swapped


# -- the eMAID's form ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["NLCSMC00000001X", "NL-CSM-C00000001-X", "nl-csm-c00000001-x", "NLCSMC00000001",
                                   "NL-TNM-000122045-U", "DE8AA0012345670", "DE-8AA-001234567"])
def test_emaid_accepted(value: str) -> None:
    assert emaid_problem(value) is None
    assert id_token_problem(value, "eMAID") is None


@pytest.mark.parametrize(("value", "rule"), [
    ("NLCSMC000000001", "check character (NLCSMC00000000 takes R"),  # the old default: instance C00000000, check 1
    ("NL-TNM-000122045-K", "takes U"),
    ("NLCSMC000001X", "an eMAID: 2 letters country"),  # 13 characters: an instance of 8 at most
    ("N1CSMC00000001X", "an eMAID: 2 letters country"),  # digit in the country code
    ("NL*CSM*C00000001*X", "an eMAID: 2 letters country"),  # '*' separates EVSE ids, not eMAIDs
    ("NL-CSM-C00000001-X-", "an eMAID: 2 letters country"),
])
def test_emaid_refused(value: str, rule: str) -> None:
    problem = id_token_problem(value, "eMAID")
    assert problem is not None and rule in problem


def test_emaid_parts() -> None:
    emaid = parse_emaid("nl-csm-C00000001-x")
    assert emaid is not None
    assert (emaid.country, emaid.provider, emaid.instance, emaid.check) == ("nl", "csm", "C00000001", "x")
    assert emaid.body == "NLCSMC00000001"
    assert parse_emaid("NLCSMC00000001") == type(emaid)("NL", "CSM", "C00000001", None)


# -- idTokens by type -----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "type_"), [
    ("A0000001", "ISO14443"), ("04a1b2c3", "ISO14443"), ("04A1B2C3D4E5F6", "ISO14443"),
    ("E004010012345678", "ISO15693"),
    ("001A2B3C4D5E", "MacAddress"), ("00:1A:2B:3C:4D:5E", "MacAddress"), ("00-1a-2b-3c-4d-5e", "MacAddress"),
    ("", "NoAuthorization"),
    ("123e4567-e89b-12d3-a456-426614174000", "Central"), ("GROUP-001", "Central"), ("user@example.com", "Local"),
    ("1234", "KeyCode"),
])
def test_id_token_accepted(value: str, type_: str) -> None:
    assert id_token_problem(value, type_) is None


@pytest.mark.parametrize(("value", "type_", "rule"), [
    ("TAG-001", "ISO14443", "8 or 14 hex digits"),
    ("MASTER-001", "ISO14443", "8 or 14 hex digits"),
    ("100000C02", "ISO14443", "8 or 14 hex digits"),  # 9 digits: neither 4 nor 7 bytes
    ("04A1B2C3D4", "ISO14443", "8 or 14 hex digits"),
    ("04A1B2G3", "ISO14443", "8 or 14 hex digits"),
    ("E0040100123456", "ISO15693", "16 hex digits"),
    ("00:1A-2B:3C:4D:5E", "MacAddress", "MAC address"),
    ("001A2B3C4D", "MacAddress", "MAC address"),
    ("X", "NoAuthorization", "empty"),
    ("with space", "Central", "identifierString"),
    ("ünïcode", "Local", "identifierString"),
    ("x" * 37, "Central", "at most 36 characters"),
])
def test_id_token_refused(value: str, type_: str, rule: str) -> None:
    problem = id_token_problem(value, type_)
    assert problem is not None and rule in problem


@pytest.mark.parametrize("type_", ID_TOKEN_TYPES)
def test_every_2_0_1_token_type_is_known(type_: str) -> None:
    assert id_token_type_problem(type_) is None


@pytest.mark.parametrize("type_", ["iso14443", "RFID", "", "EMAID"])
def test_unknown_token_type(type_: str) -> None:
    problem = id_token_type_problem(type_)
    assert problem is not None and "IdTokenEnumType" in problem


def test_1_6_id_tag_is_at_most_20_characters() -> None:
    assert id_tag_problem("x" * 20) is None
    problem = id_tag_problem("x" * 21)
    assert problem is not None and "20" in problem and "1.6" in problem


def test_identifier_string_characters() -> None:
    assert is_identifier_string(string.ascii_letters + string.digits + "*-_=:+|@.")
    for bad in " /\\#%&?!,;'\"<>()[]{}~^$`":
        assert not is_identifier_string(f"A{bad}B"), bad


# -- passwords --------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["0123456789abcdef0123456789abcdef", "x" * 16, "Y" * 40, "a-b_c=d:e+f|g@h.i*j0"])
def test_basic_auth_password_accepted(password: str) -> None:
    assert basic_auth_password_problem(password) is None


@pytest.mark.parametrize(("password", "rule"), [
    ("test1234", "16 to 40 characters"), ("x" * 15, "16 to 40 characters"), ("x" * 41, "16 to 40 characters"),
    ("sixteen chars ok", "passwordString"), ("0123456789abcdef/", "passwordString"),
])
def test_basic_auth_password_refused(password: str, rule: str) -> None:
    problem = basic_auth_password_problem(password)
    assert problem is not None and rule in problem


@pytest.mark.parametrize("key", ["0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF0123",
                                 "00" * 20])
def test_authorization_key_accepted(key: str) -> None:
    assert authorization_key_problem(key) is None


@pytest.mark.parametrize("key", ["test1234", "0123456789abcdef0123456789abcde",  # 31 digits
                                 "0123456789abcdef0123456789abcdef0",  # odd: no whole bytes
                                 "00" * 15, "00" * 21, "0123456789abcdef0123456789abcdeg"])
def test_authorization_key_refused(key: str) -> None:
    problem = authorization_key_problem(key)
    assert problem is not None and "32 to 40 hex digits" in problem


def test_generated_1_6_password_keeps_both_rules() -> None:
    """TC_073's new AuthorizationKey is a valid key and a valid 2.0.1 password alike."""
    for _ in range(20):
        password = new_password()
        assert authorization_key_problem(password) is None
        assert basic_auth_password_problem(password) is None
