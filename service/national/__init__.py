"""The national roll-up: every active incident in the country, county by county."""
