-- The server: users and their tenants, sessions, API tokens, the audit log,
-- background scan jobs, and the posture read model the MSP overview and the
-- cross-customer queue read (one row per tenant per evaluation, one per
-- tenant and check). Timestamps are Unix milliseconds.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    disabled_at    BIGINT
);

CREATE TABLE user_tenants (
    user_id    TEXT NOT NULL REFERENCES users(id),
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    PRIMARY KEY (user_id, tenant_id)
);
CREATE INDEX user_tenants_tenant ON user_tenants (tenant_id);

-- Only hashes of session ids and tokens are stored (a session's CSRF token
-- is derived from its secret, so it is not stored at all).
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    tenants       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Append-only and hash-chained: each entry carries the previous one's hash.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL, -- microseconds: the chain hashes them

    actor      TEXT NOT NULL,
    tenant_id  TEXT,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, seq);

CREATE TABLE scan_jobs (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    id            TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    started_at    BIGINT,
    finished_at   BIGINT,
    planned       BIGINT NOT NULL DEFAULT 0,
    done          BIGINT NOT NULL DEFAULT 0,
    failed        BIGINT NOT NULL DEFAULT 0,
    message       TEXT NOT NULL DEFAULT '',
    result        TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX scan_jobs_created ON scan_jobs (tenant_id, created_at);

CREATE TABLE posture_snapshots (
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    at             BIGINT NOT NULL,
    resources      BIGINT NOT NULL,
    pass           BIGINT NOT NULL,
    fail           BIGINT NOT NULL,
    muted          BIGINT NOT NULL,
    unknown        BIGINT NOT NULL,
    error          BIGINT NOT NULL,
    fail_critical  BIGINT NOT NULL,
    fail_high      BIGINT NOT NULL,
    fail_medium    BIGINT NOT NULL,
    fail_low       BIGINT NOT NULL,
    fail_info      BIGINT NOT NULL,
    own_provider   BIGINT NOT NULL,
    own_msp        BIGINT NOT NULL,
    own_customer   BIGINT NOT NULL,
    own_none       BIGINT NOT NULL,
    gaps           BIGINT NOT NULL,
    score          BIGINT NOT NULL,
    compliance     TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (tenant_id, at)
);
CREATE INDEX posture_snapshots_at ON posture_snapshots (at);

CREATE TABLE check_posture (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    check_id   TEXT NOT NULL,
    severity   TEXT NOT NULL,
    failing    BIGINT NOT NULL,
    muted      BIGINT NOT NULL,
    passing    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, check_id)
);
CREATE INDEX check_posture_check ON check_posture (check_id);

-- The latest scan per tenant, for the overview.
CREATE TABLE tenant_activity (
    tenant_id         TEXT PRIMARY KEY REFERENCES tenants(id),
    last_scan_at      BIGINT,
    last_scan_status  TEXT,
    last_scan_detail  TEXT
);
CREATE INDEX tenant_activity_at ON tenant_activity (last_scan_at);
