"""The database: pool, migrations, and the embedded PostgreSQL for demos and tests."""
