"""The HTTP API (Litestar): thin controllers over the command handler and the read models."""
