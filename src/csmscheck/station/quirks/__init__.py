"""Vendor-behaviour profiles ("quirks"): how real chargers write OCPP, as data the conformance
quirks sets, the load generator and replay all read. See :mod:`.model` for the file format."""

from csmscheck.station.quirks.profile import ALL, QuirksProfile, load_profile, load_profiles, profile_names

__all__ = ["ALL", "QuirksProfile", "load_profile", "load_profiles", "profile_names"]
