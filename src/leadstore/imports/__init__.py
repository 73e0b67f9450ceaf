"""Bulk imports of leads from CSV and NDJSON files (issue 14): columns, parsing, values, and the run."""
