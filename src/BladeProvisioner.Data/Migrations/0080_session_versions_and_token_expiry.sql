-- A signed-in session is bound to its account's session version: deleting the account, changing its role or its
-- password ends every session of it. API tokens expire; tokens made before this had none and get 90 days from now.
ALTER TABLE users ADD COLUMN session_version integer NOT NULL DEFAULT 1;
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz NULL;
UPDATE api_tokens SET expires_at = now() + interval '90 days' WHERE revoked_at IS NULL AND created_by <> 'configuration';
