"""Numbered plain-SQL migrations (`NNNN_name.sql`), applied in order by `service.db.migrate`."""
