-- Who may use whose licenses at a service window (免证办): the issuer or the bureau grants a unit the use
-- of the issuer's licenses (all types, or the listed ones). A use without one is refused, so that no unit
-- can charge another issuer's score by "using" licenses it merely saw.
CREATE TABLE use_authorisations (
    issuer         text NOT NULL,
    user_unit      text NOT NULL,
    license_types  text[],          -- NULL: every type the issuer issues
    granted_by     text NOT NULL,
    granted_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_by     text,
    PRIMARY KEY (issuer, user_unit)
);
CREATE INDEX use_authorisations_user ON use_authorisations (user_unit);
