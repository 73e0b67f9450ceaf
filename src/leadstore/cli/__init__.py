"""The `leadstore` command line: `main` builds the parser, one module per command group, `common` what they share."""

from leadstore.cli.common import event_loop_factory

__all__ = ["event_loop_factory"]
