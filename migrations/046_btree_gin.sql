-- btree_gin lets a GIN index lead with the account: the lead list's indexes on custom-field values then
-- hold (account, value) pairs, so one tenant's filter never reads another tenant's leads. A trusted
-- extension, as pg_trgm: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gin;
