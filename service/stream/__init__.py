"""The live stream: protocol frames in schemas.stream; here the connection, hub, listener."""
