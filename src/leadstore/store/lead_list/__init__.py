"""The lead list's queries, in one place: filters composed into SQL and cursors (`query`), pages and walks
that stay exactly-once while leads change (`pages`), and the range keys of custom values (`ranges`), which
the `lead_list` projection (projections/lead_list.py) also writes."""
