-- Which version of its projection's schema each read model was built by: a projection that changes its
-- table (a column, an index) bumps its version, and the runner then asks for `leadstore replay`.
ALTER TABLE checkpoints ADD COLUMN schema_version integer;
