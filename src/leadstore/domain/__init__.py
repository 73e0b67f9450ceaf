"""The pure domain: commands, events, the lead decider and its errors. No I/O lives here."""
