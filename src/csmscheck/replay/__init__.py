"""``csmscheck record``, ``sanitize`` and ``replay``: real station traffic captured, cleaned and played back."""
