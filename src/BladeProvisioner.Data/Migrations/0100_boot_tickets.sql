-- Boot tickets: one per DHCP answer to iPXE, the proof that a boot is one the appliance's DHCP service is
-- answering now. Spent on first use; bound to the boot MAC and the address the answer gave (or, for a proxy
-- answer, the address it is first used from). Only a hash of each ticket is stored.
CREATE TABLE boot_tickets (
    token_hash bytea       PRIMARY KEY,
    mac        text        NOT NULL,
    address    inet        NULL,
    via        text        NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz NULL
);
CREATE INDEX ix_boot_tickets_expires ON boot_tickets (expires_at);

-- A script's one-time token now also binds the address its script was served to. Tokens issued before this
-- change were minted for anyone who asked; none of them stays valid.
DELETE FROM boot_tokens;
ALTER TABLE boot_tokens ADD COLUMN address inet NOT NULL;

-- A UUID rule provisions one blade: the first that claims the UUID. SMBIOS UUIDs are what firmware reports, so a
-- second MAC with the same UUID (a cloned board, or someone inventing MACs) gets the menu instead of a clone.
ALTER TABLE zero_touch_rules ADD COLUMN blade_id bigint NULL REFERENCES blades (id) ON DELETE SET NULL;
