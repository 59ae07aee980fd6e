-- Findings that have only ever passed, packed one row per resource: most
-- findings are such passes, and a row each made storing an evaluation slow
-- and the database large. `passes` is a JSON array, one entry per check
-- (see findings.rs). A finding leaves its pack for a row in `findings` the
-- first time it does not pass, and keeps that row.
CREATE TABLE finding_passes (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    account_id      TEXT NOT NULL,
    region          TEXT NOT NULL,
    resource_type   TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    arn             TEXT NOT NULL,
    name            TEXT NOT NULL,
    resource_hash   TEXT NOT NULL,
    last_seen       BIGINT NOT NULL,
    passes          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, account_id, region, resource_type, resource_id)
);

-- Every read of findings is one tenant's, and the primary key leads with the
-- tenant: the per-status, per-check and per-owner indexes cost three more
-- B-tree writes per finding and served no query the key does not.
DROP INDEX findings_status;
DROP INDEX findings_check;
DROP INDEX findings_owner;

ALTER TABLE finding_passes ENABLE ROW LEVEL SECURITY;
ALTER TABLE finding_passes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_wall ON finding_passes USING (tenant_id = current_setting('shareline.tenant_id'));

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shareline_tenant') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON finding_passes TO shareline_tenant;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'cannot grant to shareline_tenant';
END $$;
