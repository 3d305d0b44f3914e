"""Tools the tests and the benchmarks share (never imported by the service itself)."""
