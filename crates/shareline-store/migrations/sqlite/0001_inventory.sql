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
    rid                 INTEGER PRIMARY KEY AUTOINCREMENT,
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
