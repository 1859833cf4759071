-- One-time console sign-in codes already used (a code in a link works once; the session is a cookie).
CREATE TABLE console_codes (
    jti      text PRIMARY KEY,
    used_at  timestamptz NOT NULL DEFAULT now()
);
