-- Local accounts for the web UI and the API, and API tokens for scripts. Passwords are stored as ASP.NET Core
-- Identity password hashes (PBKDF2); API tokens as SHA-256 of the token, never the token itself.
CREATE TABLE users (
    id            bigserial   PRIMARY KEY,
    name          text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('admin', 'operator')),
    password_hash text        NOT NULL,
    created_by    text        NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz NULL,
    CONSTRAINT ux_users_name UNIQUE (name)
);

CREATE TABLE api_tokens (
    id           bigserial   PRIMARY KEY,
    name         text        NOT NULL,
    token_hash   bytea       NOT NULL,
    role         text        NOT NULL CHECK (role IN ('admin', 'operator')),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NULL,
    revoked_at   timestamptz NULL,
    CONSTRAINT ux_api_tokens_hash UNIQUE (token_hash)
);
