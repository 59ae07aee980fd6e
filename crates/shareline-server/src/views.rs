//! The data behind each screen, assembled once for both the JSON API and the
//! HTML pages.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shareline_app::evaluate::catalog;
use shareline_engine::Status;
use shareline_model::TenantId;
use shareline_store::{
    AccountRecord, Activity, CollectionRecord, FindingFilter, PostureSnapshot, QueueRow, ScanJob,
    Tenant,
};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::{AppState, cache_key};

/// Page and page size, from `?page=&per_page=`.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Paging {
    /// 1-based page.
    #[serde(default = "one")]
    pub page: i64,
    /// Items per page (1–200, default 50).
    #[serde(default = "fifty")]
    pub per_page: i64,
}

fn one() -> i64 {
    1
}
fn fifty() -> i64 {
    50
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: 50,
        }
    }
}

impl Paging {
    /// Clamped to sane bounds.
    pub fn clamped(self) -> Self {
        Self {
            page: self.page.clamp(1, 1_000_000),
            per_page: self.per_page.clamp(1, 200),
        }
    }

    /// Rows to skip.
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }

    /// Cuts one page out of a full list.
    pub fn slice<T: Clone>(self, all: &[T]) -> Vec<T> {
        let p = self.clamped();
        let start = usize::try_from(p.offset())
            .unwrap_or(usize::MAX)
            .min(all.len());
        let end = start
            .saturating_add(usize::try_from(p.per_page).unwrap_or(50))
            .min(all.len());
        all[start..end].to_vec()
    }
}

/// A page of items.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// This page (1-based).
    pub page: i64,
    /// Page size.
    pub per_page: i64,
    /// Items in all pages.
    pub total: i64,
}

impl<T: Clone> Page<T> {
    /// One page of `all`.
    pub fn of(all: &[T], paging: Paging) -> Self {
        let p = paging.clamped();
        Self {
            items: p.slice(all),
            page: p.page,
            per_page: p.per_page,
            total: i64::try_from(all.len()).unwrap_or(i64::MAX),
        }
    }

    /// Number of pages.
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// One tenant on the MSP overview.
#[derive(Debug, Clone, Serialize)]
pub struct TenantRow {
    /// The tenant.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its latest posture, once evaluated.
    pub posture: Option<PostureSnapshot>,
    /// Its latest scan.
    pub activity: Option<Activity>,
}

/// One day of the trend.
#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    /// The day (UTC).
    pub day: String,
    /// Failing findings across the tenants (each tenant's last evaluation
    /// of the day, carried forward); `None` before any tenant was evaluated.
    pub failing: Option<i64>,
    /// Critical and high among them.
    pub critical_high: Option<i64>,
}

/// The MSP overview.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// Tenants, worst score first.
    pub tenants: Vec<TenantRow>,
    /// Totals over them.
    pub totals: PostureSnapshot,
    /// The last 30 days.
    pub trend: Vec<TrendPoint>,
}

/// Builds the overview for the caller's tenants (cached until any tenant's
/// posture or last scan changes).
///
/// # Errors
/// On a store error.
pub async fn overview(state: &AppState, caller: &Caller) -> Result<Arc<Overview>, ApiError> {
    let (tenants_gen, posture_gen, activity_gen) = state.store().generations().await?;
    let visible = crate::auth::visible_tenants_at(state, &caller.principal, tenants_gen).await?;
    // The trend's window moves at midnight: the day is part of the key.
    let day = i64::from(chrono::Datelike::num_days_from_ce(&Utc::now().date_naive()));
    let generation = posture_gen ^ activity_gen.rotate_left(17) ^ day.rotate_left(43);
    let key = cache_key(&visible);
    if let Some(hit) = state.cached::<Overview>("overview", key, generation) {
        return Ok(hit);
    }
    let built = Arc::new(build_overview(state, &visible).await?);
    state.cache("overview", key, generation, Arc::clone(&built));
    Ok(built)
}

async fn build_overview(state: &AppState, visible: &[TenantId]) -> Result<Overview, ApiError> {
    let store = state.store();
    let all: Vec<Tenant> = store.list_tenants().await?;
    let names: HashMap<&str, &str> = all
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    let mut postures: HashMap<String, PostureSnapshot> = store
        .latest_postures(visible)
        .await?
        .into_iter()
        .map(|p| (p.tenant_id.clone(), p))
        .collect();
    let mut acts: HashMap<String, Activity> = store
        .activities(visible)
        .await?
        .into_iter()
        .map(|a| (a.tenant_id.clone(), a))
        .collect();
    let mut totals = PostureSnapshot::default();
    let mut tenants: Vec<TenantRow> = visible
        .iter()
        .map(|t| {
            let posture = postures.remove(t.as_str());
            if let Some(p) = &posture {
                add(&mut totals, p);
            }
            TenantRow {
                id: t.as_str().to_owned(),
                name: names
                    .get(t.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                posture,
                activity: acts.remove(t.as_str()),
            }
        })
        .collect();
    tenants.sort_by_key(|t| {
        (
            t.posture.as_ref().map_or(i64::MAX, |p| p.score),
            t.id.clone(),
        )
    });
    let scored: Vec<i64> = tenants
        .iter()
        .filter_map(|t| t.posture.as_ref().map(|p| p.score))
        .collect();
    totals.score = if scored.is_empty() {
        1000
    } else {
        scored.iter().sum::<i64>() / i64::try_from(scored.len()).unwrap_or(1)
    };
    let trend = trend(state, visible, Utc::now()).await?;
    Ok(Overview {
        tenants,
        totals,
        trend,
    })
}

fn add(t: &mut PostureSnapshot, p: &PostureSnapshot) {
    t.resources += p.resources;
    t.pass += p.pass;
    t.fail += p.fail;
    t.muted += p.muted;
    t.unknown += p.unknown;
    t.error += p.error;
    t.fail_critical += p.fail_critical;
    t.fail_high += p.fail_high;
    t.fail_medium += p.fail_medium;
    t.fail_low += p.fail_low;
    t.fail_info += p.fail_info;
    t.own_provider += p.own_provider;
    t.own_msp += p.own_msp;
    t.own_customer += p.own_customer;
    t.own_none += p.own_none;
    t.gaps += p.gaps;
}

/// Failing findings per day over the last 30 days: each tenant's last
/// snapshot of a day counts for that day and is carried forward until its
/// next one.
async fn trend(
    state: &AppState,
    tenants: &[TenantId],
    now: DateTime<Utc>,
) -> Result<Vec<TrendPoint>, ApiError> {
    let start = (now - Duration::days(29)).date_naive();
    let since = start.and_hms_opt(0, 0, 0).map_or(now, |d| d.and_utc());
    // Each tenant's standing just before the window opens.
    let before: Vec<PostureSnapshot> = state.store().latest_postures(tenants).await?;
    let snaps = state.store().posture_trend(tenants, since).await?;
    let mut current: HashMap<String, (i64, i64)> = HashMap::new();
    for p in before.iter().filter(|p| p.at < since) {
        current.insert(p.tenant_id.clone(), (p.fail, p.fail_critical + p.fail_high));
    }
    let mut by_day: BTreeMap<chrono::NaiveDate, Vec<&PostureSnapshot>> = BTreeMap::new();
    for s in &snaps {
        by_day.entry(s.at.date_naive()).or_default().push(s);
    }
    let mut out = Vec::with_capacity(30);
    let mut day = start;
    while day <= now.date_naive() {
        for s in by_day.get(&day).into_iter().flatten() {
            current.insert(s.tenant_id.clone(), (s.fail, s.fail_critical + s.fail_high));
        }
        let known = !current.is_empty();
        out.push(TrendPoint {
            day: day.to_string(),
            failing: known.then(|| current.values().map(|v| v.0).sum()),
            critical_high: known.then(|| current.values().map(|v| v.1).sum()),
        });
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    Ok(out)
}

/// Filters of the cross-customer queue.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueueFilter {
    /// Only this severity.
    #[serde(default)]
    pub severity: Option<String>,
    /// Only checks of this service (`s3`).
    #[serde(default)]
    pub service: Option<String>,
    /// Text in the check id or title.
    #[serde(default)]
    pub q: Option<String>,
}

/// One row of the queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    /// The counts.
    #[serde(flatten)]
    pub row: QueueRow,
    /// The check's title.
    pub title: String,
    /// The check's service.
    pub service: String,
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    }
}

/// The queue over the caller's tenants, worst first.
///
/// # Errors
/// On a store error.
pub async fn queue(
    state: &AppState,
    caller: &Caller,
    filter: &QueueFilter,
) -> Result<Vec<QueueItem>, ApiError> {
    let cat = catalog()?;
    let (tenants_gen, generation, _) = state.store().generations().await?;
    let visible = crate::auth::visible_tenants_at(state, &caller.principal, tenants_gen).await?;
    let key = cache_key(&visible);
    let rows = match state.cached::<Vec<QueueRow>>("queue", key, generation) {
        Some(hit) => hit,
        None => {
            let rows = Arc::new(state.store().failing_checks(&visible).await?);
            state.cache("queue", key, generation, Arc::clone(&rows));
            rows
        }
    };
    let rows: Vec<QueueRow> = rows.as_ref().clone();
    let q = filter.q.as_deref().map(str::to_lowercase);
    let mut items: Vec<QueueItem> = rows
        .into_iter()
        .map(|row| {
            let check = cat.check(&row.check_id);
            QueueItem {
                title: check.map_or_else(|| gap_title(&row.check_id), |c| c.meta.title.clone()),
                service: check
                    .map_or_else(|| "responsibility".to_owned(), |c| c.service.to_owned()),
                row,
            }
        })
        .filter(|i| {
            filter
                .severity
                .as_deref()
                .is_none_or(|s| s.is_empty() || i.row.severity == s)
        })
        .filter(|i| {
            filter
                .service
                .as_deref()
                .is_none_or(|s| s.is_empty() || i.service == s)
        })
        .filter(|i| {
            q.as_deref().is_none_or(|q| {
                q.is_empty()
                    || i.row.check_id.to_lowercase().contains(q)
                    || i.title.to_lowercase().contains(q)
            })
        })
        .collect();
    items.sort_by(|a, b| {
        severity_rank(&a.row.severity)
            .cmp(&severity_rank(&b.row.severity))
            .then(b.row.tenants.cmp(&a.row.tenants))
            .then(b.row.failing.cmp(&a.row.failing))
            .then(a.row.check_id.cmp(&b.row.check_id))
    });
    Ok(items)
}

fn gap_title(check_id: &str) -> String {
    check_id.strip_prefix("shareline_gap_").map_or_else(
        || check_id.to_owned(),
        |k| format!("Responsibility gap: {}", k.replace('_', " ")),
    )
}

/// One framework's standing for the tenant page (computed at evaluation).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FrameworkScore {
    /// The framework id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Passing automated requirements, in percent.
    pub score: Option<f64>,
    /// Requirements failing.
    pub failing: usize,
    /// Requirements passing.
    pub passing: usize,
}

/// One account with its latest collection.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    /// The account.
    pub account: AccountRecord,
    /// Its latest collection.
    pub last: Option<CollectionRecord>,
    /// The failed scopes of that collection, `service/region: error`.
    pub failed_scopes: Vec<String>,
}

/// Everything on the tenant page.
#[derive(Debug, Clone, Serialize)]
pub struct TenantView {
    /// The tenant.
    pub tenant: Tenant,
    /// Its latest posture.
    pub posture: Option<PostureSnapshot>,
    /// Accounts.
    pub accounts: Vec<AccountView>,
    /// Failing findings per owner party, with the top findings.
    pub by_owner: Vec<(String, i64)>,
    /// Compliance per framework.
    pub compliance: Vec<FrameworkScore>,
    /// Current gaps (layers nobody owns).
    pub gaps: Vec<shareline_app::findings::FindingView>,
    /// Recent scans.
    pub scans: Vec<ScanJob>,
}

/// Builds the tenant page. Everything but the recent scans is cached until
/// the tenant's posture or last scan changes, and for at most a minute
/// (account edits made from the command line show within that).
///
/// # Errors
/// On a store error.
pub async fn tenant(state: &AppState, tenant: &TenantId) -> Result<TenantView, ApiError> {
    let (_, posture_gen, activity_gen) = state.store().generations().await?;
    let generation =
        posture_gen ^ activity_gen.rotate_left(17) ^ (Utc::now().timestamp() / 60).rotate_left(43);
    let key = cache_key(tenant);
    let mut view = match state.cached::<TenantView>("tenant", key, generation) {
        Some(hit) => hit.as_ref().clone(),
        None => {
            let built = build_tenant(state, tenant).await?;
            state.cache("tenant", key, generation, Arc::new(built.clone()));
            built
        }
    };
    view.scans = state.store().list_scan_jobs(tenant, 10).await?;
    Ok(view)
}

async fn build_tenant(state: &AppState, tenant: &TenantId) -> Result<TenantView, ApiError> {
    let store = state.store();
    let t = store
        .get_tenant(tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let posture = store
        .latest_postures(std::slice::from_ref(tenant))
        .await?
        .into_iter()
        .next();
    let collections = store.list_collections(tenant, 200).await?;
    let mut accounts = Vec::new();
    for a in store.list_accounts(tenant).await? {
        let last = collections
            .iter()
            .filter(|c| c.account_id == a.account_id)
            .max_by_key(|c| c.started_at)
            .cloned();
        let failed_scopes = match &last {
            Some(c) => store
                .get_collection(tenant, &c.id)
                .await?
                .1
                .into_iter()
                .filter(|s| !s.ok)
                .map(|s| {
                    format!(
                        "{}/{}: {}",
                        s.service,
                        s.region,
                        s.error_message.unwrap_or_default()
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        accounts.push(AccountView {
            account: a,
            last,
            failed_scopes,
        });
    }
    // Everything counted comes from the posture the last evaluation stored,
    // so the page costs a few small reads however large the tenant is.
    let by_owner: Vec<(String, i64)> = posture
        .as_ref()
        .map(|p| {
            [
                ("provider", p.own_provider),
                ("msp", p.own_msp),
                ("customer", p.own_customer),
                ("nobody", p.own_none),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (k.to_owned(), n))
            .collect()
        })
        .unwrap_or_default();
    let compliance: Vec<FrameworkScore> = posture
        .as_ref()
        .map(|p| serde_json::from_value(p.compliance.clone()))
        .transpose()
        .map_err(|e| ApiError::internal(&e))?
        .unwrap_or_default();
    let gaps = shareline_app::findings::list(
        store,
        tenant,
        &FindingFilter {
            services: vec!["responsibility".to_owned()],
            statuses: vec![Status::Fail],
            limit: Some(1000),
            ..FindingFilter::default()
        },
    )
    .await?;
    Ok(TenantView {
        tenant: t,
        posture,
        accounts,
        by_owner,
        compliance,
        gaps,
        // Never cached: `tenant` reads them live.
        scans: Vec::new(),
    })
}
