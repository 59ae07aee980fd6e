-- Tenants, accounts, collections and the versioned inventory.
-- Timestamps are Unix milliseconds (BIGINT) on both backends.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE accounts (
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    account_id         TEXT NOT NULL,
    provider           TEXT NOT NULL,
    name               TEXT NOT NULL,
    access_mode        TEXT NOT NULL,
    role_arn           TEXT,
    profile            TEXT,
    secret_ciphertext  TEXT,
    regions            TEXT NOT NULL,
    endpoint_url       TEXT,
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, account_id)
);

CREATE TABLE collections (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    id              TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    source          TEXT NOT NULL,
    status          TEXT NOT NULL,
    started_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    resource_count  BIGINT NOT NULL DEFAULT 0,
    new_versions    BIGINT NOT NULL DEFAULT 0,
    deleted_count   BIGINT NOT NULL DEFAULT 0,
    error           TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX collections_started ON collections (tenant_id, started_at);

CREATE TABLE collection_scopes (
    tenant_id       TEXT NOT NULL,
    collection_id   TEXT NOT NULL,
    service         TEXT NOT NULL,
    region          TEXT NOT NULL,
    ok              BIGINT NOT NULL,
    resource_count  BIGINT NOT NULL,
    duration_ms     BIGINT NOT NULL,
    error_kind      TEXT,
    error_code      TEXT,
    error_message   TEXT,
    gaps            TEXT NOT NULL,
    PRIMARY KEY (tenant_id, collection_id, service, region)
);

CREATE TABLE resources (
    rid                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    account_id          TEXT NOT NULL,
    region              TEXT NOT NULL,
    resource_type       TEXT NOT NULL,
    resource_id         TEXT NOT NULL,
    arn                 TEXT NOT NULL,
    name                TEXT NOT NULL,
    content_hash        TEXT NOT NULL,
    version             BIGINT NOT NULL,
    first_seen          BIGINT NOT NULL,
    last_seen           BIGINT NOT NULL,
    deleted_at          BIGINT,
    last_collection_id  TEXT NOT NULL,
    UNIQUE (tenant_id, account_id, region, resource_type, resource_id)
);
CREATE INDEX resources_arn ON resources (tenant_id, arn);
CREATE INDEX resources_type ON resources (tenant_id, resource_type);

CREATE TABLE resource_versions (
    tenant_id      TEXT NOT NULL,
    rid            BIGINT NOT NULL REFERENCES resources(rid),
    version        BIGINT NOT NULL,
    content_hash   TEXT NOT NULL,
    captured_at    BIGINT NOT NULL,
    collection_id  TEXT NOT NULL,
    document       TEXT,
    PRIMARY KEY (rid, version)
);

-- Row-level security: the second wall behind the store's own tenant scoping.
-- Every tenant-scoped transaction sets `shareline.tenant_id`; a query without
-- it fails, and one with it sees only that tenant's rows.
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_wall ON accounts USING (tenant_id = current_setting('shareline.tenant_id'));
ALTER TABLE collections ENABLE ROW LEVEL SECURITY;
ALTER TABLE collections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_wall ON collections USING (tenant_id = current_setting('shareline.tenant_id'));
ALTER TABLE collection_scopes ENABLE ROW LEVEL SECURITY;
ALTER TABLE collection_scopes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_wall ON collection_scopes USING (tenant_id = current_setting('shareline.tenant_id'));
ALTER TABLE resources ENABLE ROW LEVEL SECURITY;
ALTER TABLE resources FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_wall ON resources USING (tenant_id = current_setting('shareline.tenant_id'));
ALTER TABLE resource_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE resource_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_wall ON resource_versions USING (tenant_id = current_setting('shareline.tenant_id'));

-- Superusers bypass row-level security, so the store switches to this
-- non-privileged role inside each tenant-scoped transaction when it connects
-- as one. Creating it needs CREATEROLE; without that, run as a plain owner
-- (then FORCE applies directly).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shareline_tenant') THEN
        CREATE ROLE shareline_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'cannot create role shareline_tenant; relying on FORCE ROW LEVEL SECURITY';
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shareline_tenant') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON accounts, collections, collection_scopes, resources, resource_versions TO shareline_tenant;
        GRANT SELECT ON tenants TO shareline_tenant;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO shareline_tenant;
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO shareline_tenant', current_schema());
        EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO shareline_tenant', current_database());
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'cannot grant to shareline_tenant';
END $$;
