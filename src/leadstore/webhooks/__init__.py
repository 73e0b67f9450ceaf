"""Webhooks (issue 12): endpoints, their signed deliveries of the log, and `verify` for receivers."""

from leadstore.webhooks.signing import SignatureInvalid, verify

__all__ = ["SignatureInvalid", "verify"]
