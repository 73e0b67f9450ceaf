"""Webhooks (issue 12): endpoints an account registers, and the delivery of its events to them."""
