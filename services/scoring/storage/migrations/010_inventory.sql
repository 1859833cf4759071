-- Units' system inventories (信息系统清单): every claim about one entry, whole, and its review.
-- A claim is never changed but for its one review: the state of an entry at an instant is read
-- from the claims and reviews made up to that instant (scoring/domain/inventory.py).
CREATE TABLE inventory_claims (
    claim_id       text PRIMARY KEY,
    unit           text NOT NULL,
    entry_id       text NOT NULL,
    claimed_at     timestamptz NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('private-network', 'information-system')),
    name           text NOT NULL,
    origin         text CHECK (origin IN ('self-built', 'national-vertical')),
    service_items  integer NOT NULL DEFAULT 0 CHECK (service_items >= 0),
    connected      boolean NOT NULL DEFAULT false,
    decommissioned boolean NOT NULL DEFAULT false,
    on_cloud       boolean NOT NULL DEFAULT false,
    docked_items   integer NOT NULL DEFAULT 0 CHECK (docked_items >= 0),
    form_items     integer NOT NULL DEFAULT 0 CHECK (form_items >= 0),
    evidence       text NOT NULL,
    claimant       text NOT NULL,
    status         text NOT NULL DEFAULT 'claimed' CHECK (status IN ('claimed', 'verified', 'rejected')),
    reviewed_at    timestamptz,
    reviewer       text,
    reason         text,
    CHECK ((status = 'claimed') = (reviewed_at IS NULL)),
    CHECK (status <> 'rejected' OR reason IS NOT NULL)
);
CREATE INDEX inventory_claims_by_entry ON inventory_claims (unit, entry_id, claimed_at);
