"""The live picture: the fold of the incident log, its merge patches, and the timeline."""
