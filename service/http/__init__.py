"""HTTP layer: thin handlers, one error middleware, request bodies parsed by schemas."""
