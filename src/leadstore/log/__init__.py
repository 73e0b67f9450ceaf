"""Tools that read the event log as a whole: a lead's history, the integrity check, export/import, restore."""
