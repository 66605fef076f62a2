"""Stations' basic-auth passwords: stored as a hash, and new ones the CSMS makes up itself.

A password reaches the CSMS three ways: an operator sets it (trigger API), the station
accepts one the CSMS sent (1.6 ChangeConfiguration AuthorizationKey, 2.0.1 SetVariables
SecurityCtrlr.BasicAuthPassword), or the station is seeded with one. Each ends in
:func:`remember_password`.
"""

from __future__ import annotations

import asyncio
import secrets
import string

from sqlalchemy import func, update

from csmscheck.csms.credentials import hash_password
from csmscheck.csms.models import Station, Variable
from csmscheck.csms.store import Store
from csmscheck.wire.versions import OcppVersion

# Write-only variables that hold the password: recorded as existing, never with their value.
SECRET_VARIABLES = ("authorizationkey", "basicauthpassword")
_ALPHANUMERIC = string.ascii_letters + string.digits


async def remember_password(store: Store, station_id: str, password: str) -> bool:
    """The station's password from its next connection on, kept only as a hash; False for an unknown station.

    The value of the variable that carried it, recorded with the station's other variables, is blanked.
    """
    digest = await asyncio.to_thread(hash_password, password)
    async with store.session() as db:
        station = await db.get(Station, station_id)
        if station is None:
            return False
        station.password_hash = digest
        await db.execute(update(Variable).where(Variable.station_id == station_id,
                                                func.lower(Variable.variable).in_(SECRET_VARIABLES))
                         .values(value=None))
    return True


def new_password(version: OcppVersion) -> str:
    """A fresh random password in the form the station's OCPP version asks for.

    1.6 (security extension): the AuthorizationKey is the hex form of 16-20 random bytes (at
    most 40 hex digits); 2.0.1: BasicAuthPassword is a string of 16-40 characters.
    """
    if version == "1.6":
        return secrets.token_hex(20)
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(32))
