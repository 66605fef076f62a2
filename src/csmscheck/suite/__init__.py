"""The OCTT conformance test cases for a CSMS, as a pytest suite."""
