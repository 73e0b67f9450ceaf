-- Custom fields may hold a timestamp (`datetime`: RFC 3339, stored in UTC with milliseconds and a `Z`).
ALTER TABLE custom_fields
    DROP CONSTRAINT custom_fields_type_check,
    ADD CONSTRAINT custom_fields_type_check
        CHECK (type IN ('text', 'number', 'boolean', 'date', 'datetime', 'choice', 'multi_choice'));
