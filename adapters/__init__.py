"""Exchange with other systems (WIS-style node, EDXL). Adapters arrive with their own issue."""
