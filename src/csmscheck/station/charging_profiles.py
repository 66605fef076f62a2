"""The charging profiles a virtual OCPP 2.0.1 station holds, and how it answers the CSMS about them.

A real station keeps what SetChargingProfile installed until it is replaced (same id, or same
stack level, purpose and EVSE), cleared, or (a TxProfile) its transaction ends; it reports
them on GetChargingProfiles (ReportChargingProfiles parts after an Accepted answer) and
combines them into a composite schedule (``csmscheck.charging_schedule``).
:func:`serve_charging_profiles` makes a session answer so by policy; a case that gives its
own ``reply`` takes over that answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from csmscheck.charging_schedule import composite_schedule
from csmscheck.station.model import StationModel
from csmscheck.station.reports import send_parts
from csmscheck.station.session import StationSession
from csmscheck.wire import CallError

Payload = dict[str, Any]

CSMS_SOURCE = "CSO"  # what a profile the CSMS installed is reported as (chargingLimitSource)


@dataclass(slots=True)
class HeldProfile:
    """One installed profile: on which EVSE (0: the whole station), from which limit source."""

    evse_id: int
    source: str
    profile: Payload


class ChargingProfiles:
    """The profiles of one station by id; TxProfiles of a transaction that is over are forgotten."""

    __slots__ = ("_evses", "_model", "_tx_seen", "held")

    def __init__(self, model: StationModel, evses: Callable[[], int]) -> None:
        self._model = model
        self._evses = evses  # the station's number of EVSEs (a case may change its settings)
        self._tx_seen: tuple[str, datetime] | None = None  # the transaction, and when these profiles first saw it
        self.held: dict[int, HeldProfile] = {}

    # -- what the station holds ------------------------------------------------------------

    def install(self, evse_id: int, profile: Payload, source: str = CSMS_SOURCE) -> None:
        """Hold ``profile`` on ``evse_id``, replacing one of the same id, or of the same stack level, purpose and
        EVSE (K01); no checks (what a station that accepted it does)."""
        self._prune()
        for profile_id, held in list(self.held.items()):
            same_slot = (held.evse_id == evse_id and held.profile["stackLevel"] == profile["stackLevel"]
                         and held.profile["chargingProfilePurpose"] == profile["chargingProfilePurpose"]
                         and held.profile.get("transactionId") == profile.get("transactionId"))
            if profile_id == profile["id"] or same_slot:
                del self.held[profile_id]
        self.held[profile["id"]] = HeldProfile(evse_id, source, profile)

    def profiles(self, evse_id: int | None = None) -> list[HeldProfile]:
        """What is held (on ``evse_id`` only, if given), in id order."""
        self._prune()
        return [h for _, h in sorted(self.held.items()) if evse_id is None or h.evse_id == evse_id]

    def _prune(self) -> None:
        """A TxProfile lives as long as its transaction: forget those of a transaction that is over."""
        tx = self._model.transaction
        if tx is not None and (self._tx_seen is None or self._tx_seen[0] != tx.id):
            self._tx_seen = (tx.id, datetime.now(UTC))
        for profile_id, held in list(self.held.items()):
            if held.profile["chargingProfilePurpose"] == "TxProfile" and (
                    tx is None or held.profile.get("transactionId") != tx.id):
                del self.held[profile_id]

    # -- answers ---------------------------------------------------------------------------

    def set_charging_profile(self, request: Payload) -> Payload:
        """Accepted, and installed, unless the station cannot take it (the reason in statusInfo)."""
        evse_id, profile = request["evseId"], request["chargingProfile"]
        reason = self._refusal(evse_id, profile)
        if reason is not None:
            return {"status": "Rejected", "statusInfo": {"reasonCode": reason[0], "additionalInfo": reason[1]}}
        self.install(evse_id, profile)
        return {"status": "Accepted"}

    def _refusal(self, evse_id: int, profile: Payload) -> tuple[str, str] | None:
        purpose = profile["chargingProfilePurpose"]
        if not 0 <= evse_id <= self._evses():
            return "UnknownEvse", f"the station has no EVSE {evse_id}"
        if purpose == "ChargingStationExternalConstraints":
            return "InvalidValue", "external constraints are set by an external system, not by the CSMS"
        if purpose == "ChargingStationMaxProfile" and evse_id != 0:
            return "InvalidValue", "a ChargingStationMaxProfile applies to the whole station (evseId 0)"
        if purpose != "TxProfile":
            return None
        tx = self._model.transaction
        if evse_id == 0 or tx is None or not tx.started or tx.evse_id != evse_id:
            return "TxNotFound", f"no transaction runs on EVSE {evse_id}"
        if profile.get("transactionId") != tx.id:
            return "TxNotFound", f"the transaction on EVSE {evse_id} is {tx.id}"
        return None

    def clear_charging_profile(self, request: Payload) -> Payload:
        """Accepted when a profile matched the id or the criteria (and was removed), else Unknown. Limits of
        external systems are not the CSMS's to clear."""
        self._prune()
        profile_id = request.get("chargingProfileId")
        criteria = request.get("chargingProfileCriteria") or {}
        removed = [pid for pid, held in self.held.items()
                   if held.profile["chargingProfilePurpose"] != "ChargingStationExternalConstraints"
                   and (pid == profile_id if profile_id is not None else _meets_clear(held, criteria))]
        for pid in removed:
            del self.held[pid]
        return {"status": "Accepted" if removed else "Unknown"}

    def matching(self, request: Payload) -> list[HeldProfile]:
        """The profiles a GetChargingProfilesRequest asks for (every criterion it names must hold)."""
        criteria = request["chargingProfile"]
        evse_id = request.get("evseId")
        return [held for held in self.profiles(evse_id) if _meets_get(held, criteria)]

    def get_charging_profiles(self, request: Payload) -> Payload:
        return {"status": "Accepted" if self.matching(request) else "NoProfiles"}

    def reports(self, request: Payload) -> list[Payload]:
        """The ReportChargingProfiles parts a GetChargingProfilesRequest is answered with: one per EVSE and limit
        source, ``tbc`` on all but the last (none when nothing matches)."""
        groups: dict[tuple[int, str], list[Payload]] = {}
        for held in self.matching(request):
            groups.setdefault((held.evse_id, held.source), []).append(held.profile)
        parts = sorted(groups.items())
        return [{"requestId": request["requestId"], "chargingLimitSource": source, "evseId": evse_id,
                 "chargingProfile": profiles, "tbc": n < len(parts) - 1}
                for n, ((evse_id, source), profiles) in enumerate(parts)]

    def get_composite_schedule(self, request: Payload) -> Payload:
        """The schedule the held profiles make for the EVSE from now on (K08); Rejected for an unknown EVSE."""
        evse_id = request["evseId"]
        if not 0 <= evse_id <= self._evses():
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse",
                                                         "additionalInfo": f"the station has no EVSE {evse_id}"}}
        held = [(h.evse_id, h.profile) for h in self.profiles()]
        tx = self._model.transaction
        on_evse = tx is not None and tx.evse_id == evse_id and self._tx_seen is not None
        schedule = composite_schedule(
            held, evse_id, datetime.now(UTC).replace(microsecond=0), request["duration"],
            request.get("chargingRateUnit", "A"), transaction_id=tx.id if on_evse and tx else None,
            transaction_start=self._tx_seen[1] if on_evse and self._tx_seen else None)
        return {"status": "Accepted", "schedule": schedule}

def _meets_clear(held: HeldProfile, criteria: Payload) -> bool:
    profile = held.profile
    return (_wanted(criteria, "evseId", held.evse_id)
            and _wanted(criteria, "chargingProfilePurpose", profile["chargingProfilePurpose"])
            and _wanted(criteria, "stackLevel", profile["stackLevel"]))


def _meets_get(held: HeldProfile, criteria: Payload) -> bool:
    profile = held.profile
    return (profile["id"] in criteria.get("chargingProfileId", [profile["id"]])
            and held.source in criteria.get("chargingLimitSource", [held.source])
            and _wanted(criteria, "chargingProfilePurpose", profile["chargingProfilePurpose"])
            and _wanted(criteria, "stackLevel", profile["stackLevel"]))


def _wanted(criteria: Payload, key: str, value: object) -> bool:
    """A criterion the request does not name holds for every profile."""
    return key not in criteria or bool(criteria[key] == value)


def serve_charging_profiles(session: StationSession, profiles: ChargingProfiles) -> None:
    """Make ``session`` answer the smart charging calls from ``profiles`` and send the reports it accepts."""

    async def report(request: Payload, answer: Payload | CallError) -> None:
        if isinstance(answer, dict) and answer.get("status") == "Accepted":
            await send_parts(session, "ReportChargingProfiles", profiles.reports(request))

    session.replies["SetChargingProfile"] = profiles.set_charging_profile
    session.replies["ClearChargingProfile"] = profiles.clear_charging_profile
    session.replies["GetChargingProfiles"] = profiles.get_charging_profiles
    session.replies["GetCompositeSchedule"] = profiles.get_composite_schedule
    session.follow_ups["GetChargingProfiles"] = report
