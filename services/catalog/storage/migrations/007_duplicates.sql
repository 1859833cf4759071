-- The bureau's decisions on resources of two units that looked like the same data (seed 003 §6.2.6): a pair,
-- lower code first, confirmed with its authoritative source (一数一源) or dismissed; decided once.
CREATE TABLE duplicates (
    a              text NOT NULL REFERENCES resources (code),
    b              text NOT NULL REFERENCES resources (code),
    decision       text NOT NULL CHECK (decision IN ('confirmed', 'dismissed')),
    authoritative  text CHECK (authoritative IN (a, b)),
    reason         text,
    decided_at     timestamptz NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b),
    CHECK ((decision = 'confirmed') = (authoritative IS NOT NULL))
);
CREATE INDEX duplicates_b ON duplicates (b);
