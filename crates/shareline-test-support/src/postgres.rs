//! Fresh PostgreSQL databases for tests, when `SHARELINE_TEST_POSTGRES_URL`
//! is set (the test command sets it to the machine's server).

/// Returns the server URL from `SHARELINE_TEST_POSTGRES_URL`, if set.
pub fn server_url() -> Option<String> {
    std::env::var("SHARELINE_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Returns a unique database name for one test.
pub fn unique_db_name() -> String {
    format!("shareline_test_{}", uuid::Uuid::new_v4().simple())
}

/// Replaces the database part of a `postgres://` URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Creates a fresh database on the test server with `psql` and returns its
/// URL, or `None` when `SHARELINE_TEST_POSTGRES_URL` is not set.
///
/// # Panics
/// When the server refuses (a test helper: failing loudly is the point).
#[allow(
    clippy::panic,
    reason = "test helper: a refused database must fail the test"
)]
pub fn create_database() -> Option<String> {
    let server = server_url()?;
    let name = unique_db_name();
    let out = std::process::Command::new("psql")
        .arg(&server)
        .args(["-qc", &format!("CREATE DATABASE {name}")])
        .output();
    match out {
        Ok(o) if o.status.success() => Some(with_database(&server, &name)),
        Ok(o) => panic!(
            "psql could not create {name}: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("psql could not run: {e}"),
    }
}
