-- Email uniqueness per account, case-insensitive: a reservation written in the command's transaction.
CREATE TABLE lead_emails (
    account_id  uuid NOT NULL,
    email_lower text NOT NULL,
    lead_id     uuid NOT NULL,
    PRIMARY KEY (account_id, email_lower)
);
CREATE INDEX lead_emails_lead ON lead_emails (lead_id);
