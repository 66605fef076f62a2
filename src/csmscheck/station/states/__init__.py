"""The OCTT reusable states: idempotent helpers that run only the steps still missing."""
