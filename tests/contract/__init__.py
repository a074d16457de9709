"""Contract tests: the facade, the fake and the spec held to each other (marker `contract`)."""
