-- Trigram indexes let the lead list's `q` (substring of name, email or company) use an index
-- instead of scanning the account's rows. pg_trgm is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
