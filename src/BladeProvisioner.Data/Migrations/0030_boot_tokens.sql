-- One-time tokens that let a blade fetch its next boot script (which may carry CHAP secrets) when its address
-- cannot be matched to a lease (proxyDHCP, external DHCP). Only a hash of each token is stored.
CREATE TABLE boot_tokens (
    token_hash bytea       PRIMARY KEY,
    blade_id   bigint      NOT NULL REFERENCES blades (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz NULL
);
CREATE INDEX ix_boot_tokens_expires ON boot_tokens (expires_at);
