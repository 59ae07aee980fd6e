-- The shared responsibility line: MSP offerings, append-only assignments
-- (tenant and offering layers), acceptances, tenant offerings over time,
-- contacts, and the owner of each finding.

ALTER TABLE findings ADD COLUMN owner TEXT;
ALTER TABLE findings ADD COLUMN copied TEXT;
CREATE INDEX findings_owner ON findings (tenant_id, owner);

-- MSP-wide: an offering is a template several tenants use.
CREATE TABLE offerings (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE offering_assignments (
    id           TEXT PRIMARY KEY,
    offering_id  TEXT NOT NULL REFERENCES offerings(id),
    definition   TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL
);
CREATE INDEX offering_assignments_offering ON offering_assignments (offering_id);

-- Append-only: rows are never updated or deleted.
CREATE TABLE tenant_assignments (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    id           TEXT NOT NULL,
    definition   TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Append-only: a delegation's acceptance by the party it is delegated to.
CREATE TABLE assignment_acceptances (
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    assignment_id  TEXT NOT NULL,
    accepted_at    BIGINT NOT NULL,
    author         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, assignment_id)
);

-- Append-only: which offering a tenant uses from when.
CREATE TABLE tenant_offerings (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    offering_id  TEXT,
    valid_from   BIGINT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    author       TEXT NOT NULL
);

CREATE TABLE contacts (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    party       TEXT NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, party, email)
);

ALTER TABLE tenant_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_assignments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_wall ON tenant_assignments USING (tenant_id = current_setting('shareline.tenant_id'));
ALTER TABLE assignment_acceptances ENABLE ROW LEVEL SECURITY;
ALTER TABLE assignment_acceptances FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_wall ON assignment_acceptances USING (tenant_id = current_setting('shareline.tenant_id'));
ALTER TABLE tenant_offerings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_offerings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_wall ON tenant_offerings USING (tenant_id = current_setting('shareline.tenant_id'));
ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_wall ON contacts USING (tenant_id = current_setting('shareline.tenant_id'));

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shareline_tenant') THEN
        -- Assignments, acceptances and offering choices are append-only.
        GRANT SELECT, INSERT ON tenant_assignments, assignment_acceptances, tenant_offerings TO shareline_tenant;
        GRANT SELECT, INSERT, UPDATE, DELETE ON contacts TO shareline_tenant;
        GRANT SELECT ON offerings, offering_assignments TO shareline_tenant;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'cannot grant to shareline_tenant';
END $$;
