"""``csmscheck load``: thousands of virtual stations against a CSMS, measured (DESIGN §2.7)."""
