"""Exchange with other systems: safe XML, EDXL (OASIS) and a WIS-style node."""
