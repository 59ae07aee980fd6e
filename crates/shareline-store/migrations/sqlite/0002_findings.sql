-- Findings and their history, evaluations, mutes, per-tenant check parameters.
-- Timestamps are Unix milliseconds.

ALTER TABLE tenants ADD COLUMN mute_max_days BIGINT NOT NULL DEFAULT 365;

CREATE TABLE findings (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    id              TEXT NOT NULL,
    check_id        TEXT NOT NULL,
    service         TEXT NOT NULL,
    severity        TEXT NOT NULL,
    status          TEXT NOT NULL,
    muted_by        TEXT,
    account_id      TEXT NOT NULL,
    region          TEXT NOT NULL,
    resource_type   TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    arn             TEXT NOT NULL,
    name            TEXT NOT NULL,
    resource_hash   TEXT NOT NULL,
    message         TEXT NOT NULL,
    evidence        TEXT,
    first_seen      BIGINT NOT NULL,
    last_seen       BIGINT NOT NULL,
    status_since    BIGINT NOT NULL,
    resolved_at     BIGINT,
    reopened_count  BIGINT NOT NULL DEFAULT 0,
    removed_at      BIGINT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX findings_status ON findings (tenant_id, status);
CREATE INDEX findings_check ON findings (tenant_id, check_id);

-- Append-only: a finding's history.
CREATE TABLE finding_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL,
    finding_id   TEXT NOT NULL,
    at           BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    message      TEXT NOT NULL
);
CREATE INDEX finding_events_finding ON finding_events (tenant_id, finding_id);

CREATE TABLE evaluations (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    id            TEXT NOT NULL,
    started_at    BIGINT NOT NULL,
    finished_at   BIGINT NOT NULL,
    mode          TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    resources     BIGINT NOT NULL,
    evaluations   BIGINT NOT NULL,
    results       BIGINT NOT NULL,
    changed       BIGINT NOT NULL,
    failing       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX evaluations_started ON evaluations (tenant_id, started_at);

CREATE TABLE mutes (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    id          TEXT NOT NULL,
    definition  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    author      TEXT NOT NULL,
    source      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    removed_at  BIGINT,
    removed_by  TEXT,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE check_params (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    check_id    TEXT NOT NULL,
    params      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, check_id)
);
