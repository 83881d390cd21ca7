"""Tests of the call planner."""
