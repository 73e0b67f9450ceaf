"""leadstore: an event-sourced service for sales leads."""

__version__ = "0.1.0"
