"""Pydantic models of everything on the wire; JSON Schema is derived from them."""
