//! A small headless-Chromium driver for browser tests, speaking the Chrome
//! DevTools Protocol over the browser's loopback WebSocket.
//!
//! One [`Browser`] per test; a [`Context`] per role (its own cookie jar); a
//! [`Page`] per tab. Every wait has a timeout and names what it waited for.

use std::collections::HashMap;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// Errors of the driver: a message naming what failed.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// The driver's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How long a wait lasts unless [`Page::set_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(50);
/// Headless, and nothing that reaches for the network on its own.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--no-first-run",
    "--no-default-browser-check",
];

type Reply = oneshot::Sender<Result<Value, String>>;

/// The WebSocket connection: requests go out through the writer task, the
/// reader task routes answers by `id` and events by `sessionId`.
#[derive(Debug)]
struct Conn {
    outgoing: mpsc::UnboundedSender<Message>,
    next_id: AtomicU64,
    /// `None` once the connection closed.
    pending: Mutex<Option<HashMap<u64, Reply>>>,
    sessions: Mutex<HashMap<String, mpsc::UnboundedSender<Value>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Conn {
    /// Connects, and starts the writer task and the reader task.
    async fn connect(url: &str) -> Result<(Arc<Self>, [JoinHandle<()>; 2])> {
        let (socket, _) = tokio_tungstenite::connect_async(url).await?;
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut to_send) = mpsc::unbounded_channel();
        let conn = Arc::new(Self {
            outgoing,
            next_id: AtomicU64::new(1),
            pending: Mutex::new(Some(HashMap::new())),
            sessions: Mutex::new(HashMap::new()),
        });
        let writer = tokio::spawn(async move {
            while let Some(msg) = to_send.recv().await {
                if sink.send(msg).await.is_err() {
                    break;
                }
            }
        });
        let reader_conn = Arc::clone(&conn);
        let reader = tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                if let Message::Text(text) = msg {
                    reader_conn.dispatch(text.as_str());
                }
            }
            reader_conn.closed();
        });
        Ok((conn, [reader, writer]))
    }

    /// Drops the reply senders and event channels: every waiter wakes up.
    fn closed(&self) {
        lock(&self.pending).take();
        lock(&self.sessions).clear();
    }

    fn message(&self, session: Option<&str>, method: &str, params: Value) -> (u64, Message) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            msg["sessionId"] = session.into();
        }
        (id, Message::Text(msg.to_string().into()))
    }

    async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        let (id, msg) = self.message(session, method, params);
        let (tx, rx) = oneshot::channel();
        match lock(&self.pending).as_mut() {
            Some(pending) => pending.insert(id, tx),
            None => return Err(format!("{method}: the browser connection is closed").into()),
        };
        if self.outgoing.send(msg).is_err() {
            return Err(format!("{method}: the browser connection is closed").into());
        }
        match tokio::time::timeout(DEFAULT_TIMEOUT, rx).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(error))) => Err(format!("{method}: {error}").into()),
            Ok(Err(_)) => Err(format!("{method}: the browser connection closed").into()),
            Err(_) => {
                if let Some(pending) = lock(&self.pending).as_mut() {
                    pending.remove(&id);
                }
                Err(format!("{method}: no answer within {DEFAULT_TIMEOUT:?}").into())
            }
        }
    }

    /// Sends without waiting for the answer (for `Drop`).
    fn send_and_forget(&self, method: &str, params: Value) {
        let (_, msg) = self.message(None, method, params);
        let _ = self.outgoing.send(msg);
    }

    fn dispatch(&self, text: &str) {
        let Ok(msg) = serde_json::from_str::<Value>(text) else {
            return;
        };
        if let Some(id) = msg["id"].as_u64() {
            let reply = lock(&self.pending).as_mut().and_then(|p| p.remove(&id));
            if let Some(reply) = reply {
                let result = match msg.get("error") {
                    Some(error) => Err(error.to_string()),
                    None => Ok(msg["result"].clone()),
                };
                let _ = reply.send(result);
            }
        } else if let Some(session) = msg["sessionId"].as_str()
            && let Some(events) = lock(&self.sessions).get(session)
        {
            let _ = events.send(msg);
        }
    }
}

/// A headless Chromium with a fresh profile; killed (and the profile
/// removed) on drop.
#[derive(Debug)]
pub struct Browser {
    conn: Arc<Conn>,
    child: Child,
    tasks: [JoinHandle<()>; 2],
    dir: tempfile::TempDir,
}

fn find_chromium() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("SHARELINE_CHROMIUM") {
        let path = PathBuf::from(path);
        if !path.is_file() {
            return Err(format!("SHARELINE_CHROMIUM={} is not a file", path.display()).into());
        }
        return Ok(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::iter::once(PathBuf::from("/usr/bin/chromium"))
        .chain(std::env::split_paths(&path).map(|dir| dir.join("chromium")))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            "chromium not found: install it (`apt-get install chromium`, which scripts/test \
             does) or point SHARELINE_CHROMIUM at the binary"
                .into()
        })
}

/// Reads `DevToolsActivePort`: the port, then `/devtools/browser/<id>`.
fn read_active_port(file: &Path) -> Option<(u16, String)> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut lines = text.lines();
    let port = lines.next()?.trim().parse().ok()?;
    let path = lines.next()?.trim();
    path.starts_with("/devtools/browser/")
        .then(|| (port, path.to_owned()))
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    match lines.len() {
        0 => "(empty)".to_owned(),
        n => lines[n.saturating_sub(15)..].join("\n"),
    }
}

impl Browser {
    /// Starts Chromium (`SHARELINE_CHROMIUM`, `/usr/bin/chromium` or
    /// `chromium` on `PATH`) and connects to its browser target.
    pub async fn launch() -> Result<Self> {
        let binary = find_chromium()?;
        let dir = tempfile::Builder::new()
            .prefix("shareline-chromium-")
            .tempdir()?;
        let profile = dir.path().join("profile");
        let log = dir.path().join("chromium.log");
        let mut child = Command::new(&binary)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;

        let started = Instant::now();
        let (port, path) = loop {
            if let Some(found) = read_active_port(&profile.join("DevToolsActivePort")) {
                break found;
            }
            let exited = child.try_wait()?;
            if exited.is_some() || started.elapsed() > DEFAULT_TIMEOUT {
                kill(&mut child);
                let why = exited.map_or(
                    format!("no DevToolsActivePort within {DEFAULT_TIMEOUT:?}"),
                    |s| format!("exited with {s}"),
                );
                return Err(format!(
                    "{} {why}; its log ends:\n{}",
                    binary.display(),
                    log_tail(&log)
                )
                .into());
            }
            tokio::time::sleep(POLL).await;
        };

        let url = format!("ws://127.0.0.1:{port}{path}");
        let (conn, tasks) = match Conn::connect(&url).await {
            Ok(connected) => connected,
            Err(e) => {
                kill(&mut child);
                return Err(format!("connecting to {url}: {e}").into());
            }
        };
        Ok(Self {
            conn,
            child,
            tasks,
            dir,
        })
    }

    /// A new browser context: its own cookies and storage, like a fresh
    /// incognito window.
    pub async fn new_context(&self) -> Result<Context> {
        let result = self
            .conn
            .call(None, "Target.createBrowserContext", json!({}))
            .await?;
        let id = str_field(&result, "browserContextId", "Target.createBrowserContext")?;
        Ok(Context {
            conn: Arc::clone(&self.conn),
            id,
        })
    }

    /// Asks Chromium to exit and waits for it (dropping kills it instead).
    pub async fn close(mut self) -> Result<()> {
        let _ = self.conn.call(None, "Browser.close", json!({})).await;
        let started = Instant::now();
        while self.child.try_wait()?.is_none() {
            if started.elapsed() > DEFAULT_TIMEOUT {
                return Err(format!(
                    "chromium still running {DEFAULT_TIMEOUT:?} after Browser.close"
                )
                .into());
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    }
}

/// Kills Chromium's whole process group: its zygotes, renderers and utility
/// processes outlive the browser process a moment, writing into the profile.
fn kill(child: &mut Child) {
    let group = rustix::process::Pid::from_child(child);
    let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill(&mut self.child);
        self.tasks.iter().for_each(JoinHandle::abort);
        // The reader no longer runs: fail the waiters of pages left behind.
        self.conn.closed();
        // A killed process may finish a last write: retry before giving up.
        for _ in 0..10 {
            match std::fs::remove_dir_all(self.dir.path()) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => break,
            }
        }
    }
}

fn str_field(result: &Value, field: &str, method: &str) -> Result<String> {
    result[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{method}: no {field} in {result}").into())
}

/// A browser context (`Target.createBrowserContext`); disposed on drop.
#[derive(Debug)]
pub struct Context {
    conn: Arc<Conn>,
    id: String,
}

impl Context {
    /// Opens an `about:blank` tab in this context, attached with its own
    /// session and the `Page`, `Runtime`, `Log` and `Network` domains enabled.
    pub async fn new_page(&self) -> Result<Page> {
        let params = json!({ "url": "about:blank", "browserContextId": self.id });
        let created = self.conn.call(None, "Target.createTarget", params).await?;
        let target = str_field(&created, "targetId", "Target.createTarget")?;
        let params = json!({ "targetId": target, "flatten": true });
        let attached = self
            .conn
            .call(None, "Target.attachToTarget", params)
            .await?;
        let session = str_field(&attached, "sessionId", "Target.attachToTarget")?;

        let (events_tx, mut events) = mpsc::unbounded_channel();
        lock(&self.conn.sessions).insert(session.clone(), events_tx);
        let (state_tx, state) = watch::channel(PageState::default());
        let main_frame = target.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                state_tx.send_if_modified(|state| state.apply(&main_frame, &event));
            }
        });
        let page = Page {
            conn: Arc::clone(&self.conn),
            session,
            target,
            state,
            timeout: DEFAULT_TIMEOUT,
        };
        for domain in ["Page", "Runtime", "Log", "Network"] {
            page.call(&format!("{domain}.enable"), json!({})).await?;
        }
        Ok(page)
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        self.conn.send_and_forget(
            "Target.disposeBrowserContext",
            json!({ "browserContextId": self.id }),
        );
    }
}

/// What the page's events told so far.
#[derive(Debug, Default)]
struct PageState {
    /// The loader of the main frame's current document.
    loader: Option<String>,
    /// The loader whose `load` event fired last.
    loaded: Option<String>,
    status: Option<u16>,
    errors: Vec<String>,
}

impl PageState {
    /// Folds one event in; says whether anything changed.
    fn apply(&mut self, main_frame: &str, event: &Value) -> bool {
        let params = &event["params"];
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        match event["method"].as_str().unwrap_or_default() {
            "Page.frameNavigated" if params["frame"]["parentId"].is_null() => {
                self.loader = Some(text(&params["frame"]["loaderId"]));
            }
            "Page.loadEventFired" => self.loaded.clone_from(&self.loader),
            "Network.responseReceived"
                if params["type"] == "Document" && params["frameId"] == main_frame =>
            {
                self.status = params["response"]["status"]
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok());
            }
            "Runtime.exceptionThrown" => {
                let details = &params["exceptionDetails"];
                let description = details["exception"]["description"]
                    .as_str()
                    .unwrap_or_default();
                let message = format!("{} {description}", text(&details["text"]));
                self.errors.push(with_url(message, &details["url"]));
            }
            "Runtime.consoleAPICalled" if params["type"] == "error" => {
                let args = params["args"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let words: Vec<String> = args.iter().map(remote_object_text).collect();
                let message = format!("console.error: {}", words.join(" "));
                self.errors.push(with_url(
                    message,
                    &params["stackTrace"]["callFrames"][0]["url"],
                ));
            }
            // Chromium's own favicon probe is not the page's doing (and lands
            // at a random time after `load`).
            "Log.entryAdded"
                if params["entry"]["level"] == "error"
                    && !text(&params["entry"]["url"]).ends_with("/favicon.ico") =>
            {
                self.errors.push(with_url(
                    text(&params["entry"]["text"]),
                    &params["entry"]["url"],
                ));
            }
            _ => return false,
        }
        true
    }
}

/// A console argument as text: strings bare, other values as the console shows them.
fn remote_object_text(arg: &Value) -> String {
    match (&arg["value"], arg["description"].as_str()) {
        (Value::String(s), _) => s.clone(),
        (_, Some(description)) => description.to_owned(),
        (value, None) => value.to_string(),
    }
}

fn with_url(message: String, url: &Value) -> String {
    match url.as_str() {
        Some(url) if !url.is_empty() => format!("{message} ({url})"),
        _ => message,
    }
}

/// One tab, attached through its own CDP session; closed on drop.
#[derive(Debug)]
pub struct Page {
    conn: Arc<Conn>,
    session: String,
    target: String,
    state: watch::Receiver<PageState>,
    timeout: Duration,
}

impl Page {
    async fn call(&self, method: &str, params: Value) -> Result<Value> {
        self.conn.call(Some(&self.session), method, params).await
    }

    /// Sets how long `goto`, `wait_for` and `submit_and_wait` wait.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Waits until the page's state satisfies `done`, naming `what` on timeout.
    async fn wait_state(&self, what: &str, done: impl FnMut(&PageState) -> bool) -> Result<()> {
        let mut state = self.state.clone();
        match tokio::time::timeout(self.timeout, state.wait_for(done)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(format!("waiting for {what}: the page's session ended").into()),
            Err(_) => Err(format!("waiting for {what}: timed out after {:?}", self.timeout).into()),
        }
    }

    /// Navigates and waits for the new document's `load` event.
    pub async fn goto(&self, url: &str) -> Result<()> {
        let result = self.call("Page.navigate", json!({ "url": url })).await?;
        if let Some(error) = result["errorText"].as_str() {
            return Err(format!("navigating to {url}: {error}").into());
        }
        // No loader: a same-document navigation (a fragment), nothing loads.
        let Some(loader) = result["loaderId"].as_str() else {
            return Ok(());
        };
        self.wait_state(&format!("the load of {url}"), |s| {
            s.loaded.as_deref() == Some(loader)
        })
        .await
    }

    /// Evaluates `js` (awaiting a promise) and returns its value by value;
    /// `null` for `undefined`. A thrown exception is an error naming `js`.
    pub async fn eval(&self, js: &str) -> Result<Value> {
        let params = json!({ "expression": js, "returnByValue": true, "awaitPromise": true });
        let mut result = self.call("Runtime.evaluate", params).await?;
        if let Some(details) = result.get("exceptionDetails") {
            let description = details["exception"]["description"]
                .as_str()
                .or(details["text"].as_str());
            return Err(
                format!("evaluating `{js}`: {}", description.unwrap_or("exception")).into(),
            );
        }
        Ok(result["result"]["value"].take())
    }

    /// Polls the boolean expression `js` until it is `true`.
    pub async fn wait_for(&self, js: &str, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            // A navigation in flight destroys the context: an error is "not yet".
            let last = match self.eval(js).await {
                Ok(Value::Bool(true)) => return Ok(()),
                Ok(value) => format!("last value {value}"),
                Err(e) => format!("last error: {e}"),
            };
            if started.elapsed() > timeout {
                return Err(
                    format!("waiting for `{js}`: not true after {timeout:?} ({last})").into(),
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Runs `action` (a JS function body with `el` bound) on the element
    /// matching `selector`; an error if there is none.
    async fn on_element(&self, selector: &str, action: &str) -> Result<Value> {
        let sel = serde_json::to_string(selector)?;
        let js = format!(
            "(() => {{ const el = document.querySelector({sel}); if (!el) return {{ missing: true }}; {action} }})()"
        );
        let value = self.eval(&js).await?;
        if value["missing"] == true {
            return Err(format!("no element matches `{selector}` on {}", self.url().await?).into());
        }
        Ok(value)
    }

    /// Clicks the element matching `selector`.
    pub async fn click(&self, selector: &str) -> Result<()> {
        self.on_element(selector, "el.click(); return null;")
            .await
            .map(drop)
    }

    /// Sets the value of the input matching `selector`, firing `input` and
    /// `change` as typing would.
    pub async fn fill(&self, selector: &str, value: &str) -> Result<()> {
        let value = serde_json::to_string(value)?;
        let action = format!(
            "el.value = {value}; el.dispatchEvent(new Event('input', {{ bubbles: true }})); \
             el.dispatchEvent(new Event('change', {{ bubbles: true }})); return null;"
        );
        self.on_element(selector, &action).await.map(drop)
    }

    /// Submits the form matching `selector` (or clicks the button or link
    /// matching it) and waits for the page it leads to to load.
    pub async fn submit_and_wait(&self, selector: &str) -> Result<()> {
        let before = self.state.borrow().loader.clone();
        let action =
            "if (el instanceof HTMLFormElement) el.requestSubmit(); else el.click(); return null;";
        self.on_element(selector, action).await?;
        let what = format!("the page loaded by submitting `{selector}`");
        self.wait_state(&what, |s| {
            s.loaded.is_some() && s.loaded == s.loader && s.loader != before
        })
        .await
    }

    async fn eval_string(&self, js: &str) -> Result<String> {
        match self.eval(js).await? {
            Value::String(s) => Ok(s),
            other => Err(format!("evaluating `{js}`: {other} is not a string").into()),
        }
    }

    /// The current document's URL.
    pub async fn url(&self) -> Result<String> {
        self.eval_string("location.href").await
    }

    /// The visible text (`document.body.innerText`).
    pub async fn text(&self) -> Result<String> {
        self.eval_string("document.body ? document.body.innerText : ''")
            .await
    }

    /// The serialised document.
    pub async fn html(&self) -> Result<String> {
        self.eval_string("document.documentElement.outerHTML").await
    }

    /// Emulates a `width` x `height` CSS-pixel viewport.
    pub async fn set_viewport(&self, width: u32, height: u32) -> Result<()> {
        let params =
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false });
        self.call("Emulation.setDeviceMetricsOverride", params)
            .await
            .map(drop)
    }

    /// Writes a PNG of the viewport to `path`, creating its directories.
    pub async fn screenshot(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let method = "Page.captureScreenshot";
        let result = self.call(method, json!({ "format": "png" })).await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(str_field(&result, "data", method)?)
            .map_err(|e| format!("{method}: {e}"))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let written = match tokio::fs::create_dir_all(dir).await {
            Ok(()) => tokio::fs::write(path, png).await,
            Err(e) => Err(e),
        };
        written.map_err(|e| format!("writing {}: {e}", path.display()).into())
    }

    /// Every JavaScript error seen on this page so far: uncaught exceptions,
    /// `console.error` calls and error log entries, each with its URL.
    pub fn errors(&self) -> Vec<String> {
        self.state.borrow().errors.clone()
    }

    /// The HTTP status of the main document last received.
    pub fn last_status(&self) -> Option<u16> {
        self.state.borrow().status
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        lock(&self.conn.sessions).remove(&self.session);
        self.conn
            .send_and_forget("Target.closeTarget", json!({ "targetId": self.target }));
    }
}
