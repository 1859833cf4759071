-- The audit trail: every write, every refused authorisation, every read of personal data. Append-only.
CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    role        text,
    unit        text,
    action      text NOT NULL,
    target      text NOT NULL,
    outcome     text NOT NULL,
    status      int NOT NULL,
    request_id  text NOT NULL
);
CREATE INDEX audit_actor_at ON audit (actor, at);
CREATE INDEX audit_target_at ON audit (target, at);

CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
