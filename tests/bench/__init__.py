"""Benchmarks that print figures (run as scripts, not collected as tests)."""
