"""Property-based tests (hypothesis) of the parsers and the planner."""
