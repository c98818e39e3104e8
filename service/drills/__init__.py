"""Reporting drills: a county board's exercise in one step, and its result."""
