"""The virtual charging station that the suite, the load generator and the fuzzer drive."""

from csmscheck.station.session import ReceivedCall, StationSession
from csmscheck.station.station import Station

__all__ = ["ReceivedCall", "Station", "StationSession"]
