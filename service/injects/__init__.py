"""Scripted injects of an exercise: the script, its delivery, and templates."""
