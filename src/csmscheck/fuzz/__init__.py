"""``csmscheck fuzz``: hostile station-to-CSMS frames, each answer judged by the OCPP-J rule it must follow."""
