"""The rules the fuzzer judges a CSMS by, one set per OCPP version, each citing where it is written.

OCPP-J 1.6 is the "OCPP-J 1.6 Specification" (§4.1.3 message types, §4.2.3 CALLERROR and
its error codes); OCPP 2.0.1 is Part 4, "JSON over WebSockets implementation guide" (§4.2.3
CALLERROR, the error code table and errorDescription string[255], §4.3 RpcFrameworkError
and MessageTypeNotSupported with messageId "-1").
"""

from __future__ import annotations

from dataclasses import dataclass

from csmscheck.verdicts import Rule
from csmscheck.wire.versions import OcppVersion


@dataclass(frozen=True)
class Rules:
    codes: Rule
    occurrence: Rule
    type: Rule
    property: Rule
    format: Rule
    action: Rule
    unreadable: Rule
    unknown_type: Rule
    description: Rule
    no_answer: Rule
    answered: Rule
    connection: Rule
    valid: Rule
    leak: Rule


def _rules(version: OcppVersion) -> Rules:
    v = "16" if version == "1.6" else "201"
    doc = "OCPP-J 1.6" if version == "1.6" else "OCPP 2.0.1 Part 4 (OCPP-J)"
    occurrence = "OccurenceConstraintViolation" if version == "1.6" else "OccurrenceConstraintViolation"
    fmt = "FormationViolation" if version == "1.6" else "FormatViolation"
    return Rules(
        codes=Rule(f"OCPPJ-{v}-4.2.3", f"every CALLERROR uses an error code OCPP {version} defines", f"{doc} §4.2.3"),
        occurrence=Rule(f"OCPPJ-{v}-4.2.3-OCCURRENCE",
                        f"a missing required field or an array of the wrong size gets {occurrence}", f"{doc} §4.2.3"),
        type=Rule(f"OCPPJ-{v}-4.2.3-TYPE", "a field of the wrong JSON type gets TypeConstraintViolation",
                  f"{doc} §4.2.3"),
        property=Rule(f"OCPPJ-{v}-4.2.3-PROPERTY",
                      "a value out of its enumeration, length, range or date-time format gets "
                      "PropertyConstraintViolation", f"{doc} §4.2.3"),
        format=Rule(f"OCPPJ-{v}-4.2.3-FORMAT",
                    f"a field the schema does not define, a payload nested too deep or a frame of the wrong shape "
                    f"gets {fmt}", f"{doc} §4.2.3"),
        action=Rule(f"OCPPJ-{v}-4.2.3-ACTION",
                    "an unknown action gets NotImplemented, a known one the CSMS does not take gets NotSupported",
                    f"{doc} §4.2.3"),
        unreadable=Rule(f"OCPPJ-{v}-4.2.3-UNREADABLE",
                        "a frame that is no OCPP-J message gets RpcFrameworkError with messageId \"-1\" when its id "
                        "cannot be read" if version == "2.0.1" else
                        "a frame that is no OCPP-J message gets a 1.6 CALLERROR (FormationViolation, ProtocolError, "
                        "GenericError) or none", f"{doc} §4.2.3" + (", §4.3" if version == "2.0.1" else "")),
        unknown_type=Rule(f"OCPPJ-{v}-4.1.3-MESSAGE-TYPE",
                          "an unknown message type number gets MessageTypeNotSupported" if version == "2.0.1" else
                          "a frame of an unknown message type number is ignored (or refused with a 1.6 code)",
                          f"{doc} §4.1.3" + (", §4.3" if version == "2.0.1" else "")),
        description=Rule(f"OCPPJ-{v}-4.2.3-DESCRIPTION",
                         "errorDescription is a string of at most 255 characters" if version == "2.0.1" else
                         "errorDescription is a string", f"{doc} §4.2.3"),
        no_answer=Rule(f"OCPPJ-{v}-4.1-NO-ANSWER", "a CALLRESULT or CALLERROR is never answered", f"{doc} §4.1"),
        answered=Rule(f"OCPPJ-{v}-4.1-ANSWERED",
                      "a CALL whose message id can be read gets one answer, with that id, in time", f"{doc} §4.1"),
        connection=Rule(f"OCPPJ-{v}-CONNECTION",
                        "after any frame the connection stays open and a Heartbeat is answered in time "
                        "(a close with 1003 for a binary frame, 1009 for a frame over the size limit allowed)",
                        f"{doc} §3, RFC 6455 §7.4.1"),
        valid=Rule(f"OCPPJ-{v}-VALID",
                   "a schema-valid CALL gets a CALLRESULT whose payload its response schema accepts",
                   f"{doc} §4.2.2; OCPP {version} schemas"),
        leak=Rule(f"CSMSCHECK-{v}-LEAK", "an error description leaks no stack trace, SQL or file path",
                  "OWASP ASVS 4.0 §7.4.1 (generic error messages)"),
    )


RULES: dict[OcppVersion, Rules] = {"1.6": _rules("1.6"), "2.0.1": _rules("2.0.1")}
