"""``csmscheck scan``: the connection-security checks of the OCPP security profiles, each a verdict with its rule.

TLS versions, cipher suites and the server certificate (:mod:`.tls`), client certificates on
security profile 3 (:mod:`.client_certs`), opening-handshake refusals, duplicate connections,
wrong-password bursts and oversized frames (:mod:`.handshakes`); :mod:`.rules` names every
rule, :mod:`.runner` runs them against a target or the bundled reference CSMS.
"""
