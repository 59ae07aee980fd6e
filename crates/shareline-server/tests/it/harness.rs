//! A real server on a loopback port over a real store (SQLite or
//! PostgreSQL) holding the demo MSP, one user per role, and an HTTP client
//! that logs in like a browser.

use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use shareline_server::{AppState, ServerConfig};
use shareline_store::{NewUser, Store};
use tokio::sync::oneshot;

/// Every test user's password.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// The test users: (email, role, tenants).
pub(crate) const USERS: &[(&str, &str, &[&str])] = &[
    ("admin@msp.test", "msp_admin", &[]),
    ("engineer@msp.test", "msp_engineer", &["acme", "globex"]),
    ("auditor@msp.test", "auditor", &["acme"]),
    ("admin@acme.test", "customer_admin", &["acme"]),
    ("viewer@globex.test", "customer_viewer", &["globex"]),
];

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Db {
    Sqlite,
    Postgres,
}

/// A running server.
pub(crate) struct Server {
    pub(crate) url: String,
    pub(crate) store: Store,
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Password hashes are slow by design: hash once per test binary.
fn password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| shareline_access::password::hash_password(PASSWORD).unwrap())
}

/// Starts a server with the demo MSP and the test users. `None` when the
/// PostgreSQL run is asked for and no server is configured.
pub(crate) async fn start(db: Db, config: ServerConfig) -> Option<Server> {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => dir.path().join("server.db").to_str().unwrap().to_owned(),
        Db::Postgres => shareline_test_support::postgres::create_database()?,
    };
    let store = Store::open(&url).await.unwrap();
    shareline_app::demo::load(&store, &shareline_app::demo::demo_dir())
        .await
        .unwrap();
    for (email, role, tenants) in USERS {
        store
            .create_user(&NewUser {
                email: (*email).to_owned(),
                name: (*email).to_owned(),
                role: (*role).to_owned(),
                tenants: tenants
                    .iter()
                    .map(|t| shareline_model::TenantId::parse(t).unwrap())
                    .collect(),
                password_hash: password_hash().to_owned(),
            })
            .await
            .unwrap();
    }
    Some(serve(store, dir, config).await)
}

/// Serves `store` on a free loopback port.
pub(crate) async fn serve(store: Store, dir: tempfile::TempDir, config: ServerConfig) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    let state = AppState::new(store.clone(), config);
    tokio::spawn(async move {
        shareline_server::serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Server {
        url,
        store,
        _dir: dir,
        shutdown: Some(tx),
    }
}

/// An HTTP client that keeps cookies and sends the CSRF token.
pub(crate) struct Client {
    pub(crate) base: String,
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
    bearer: Option<String>,
}

/// One answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Client {
    /// A client with no credentials.
    pub(crate) fn anonymous(server: &Server) -> Self {
        Self {
            base: server.url.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .unwrap(),
            cookies: Mutex::new(BTreeMap::new()),
            bearer: None,
        }
    }

    /// A client using an API token.
    pub(crate) fn with_token(server: &Server, token: &str) -> Self {
        let mut c = Self::anonymous(server);
        c.bearer = Some(token.to_owned());
        c
    }

    /// Logs in through the login form.
    pub(crate) async fn login(server: &Server, email: &str) -> Self {
        let c = Self::anonymous(server);
        let a = c.try_login(email, PASSWORD).await;
        assert_eq!(
            a.status,
            StatusCode::SEE_OTHER,
            "login of {email}: {}",
            a.body
        );
        c
    }

    /// Submits the login form; returns the answer.
    pub(crate) async fn try_login(&self, email: &str, password: &str) -> Answer {
        let form = self.send(Method::GET, "/login", None, None).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = self
            .cookie(shareline_server::auth::LOGIN_CSRF_COOKIE)
            .unwrap();
        self.send(
            Method::POST,
            "/login",
            Some(vec![
                ("email".into(), email.into()),
                ("password".into(), password.into()),
                ("csrf".into(), csrf),
                ("next".into(), "/".into()),
            ]),
            None,
        )
        .await
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    /// The CSRF token of this client's session.
    pub(crate) fn csrf(&self) -> String {
        self.cookie(shareline_server::auth::SESSION_COOKIE)
            .map(|s| shareline_server::auth::csrf_for(&s))
            .unwrap_or_default()
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, None).await
    }

    /// Posts a form, adding the session's CSRF token.
    pub(crate) async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut f: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        f.push(("csrf".into(), self.csrf()));
        self.send(Method::POST, path, Some(f), None).await
    }

    /// Sends JSON with the CSRF header.
    pub(crate) async fn json(&self, method: Method, path: &str, body: Value) -> Answer {
        self.send(method, path, None, Some(body)).await
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        form: Option<Vec<(String, String)>>,
        json: Option<Value>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        let cookie_header = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookie_header.is_empty() {
            req = req.header("cookie", cookie_header);
        }
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        if method != Method::GET && self.bearer.is_none() && form.is_none() {
            req = req.header(shareline_server::auth::CSRF_HEADER, self.csrf());
        }
        if let Some(f) = form {
            // Forms carry the token in the body, as a browser would.
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&f).unwrap());
        }
        if let Some(j) = json {
            req = req.json(&j);
        }
        let res = req.send().await.unwrap();
        let mut set_cookies = Vec::new();
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            set_cookies.push(v.to_owned());
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            if val.is_empty() {
                jar.remove(k);
            } else {
                jar.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = res.text().await.unwrap();
        Answer {
            status,
            location,
            set_cookies,
            body,
        }
    }
}
