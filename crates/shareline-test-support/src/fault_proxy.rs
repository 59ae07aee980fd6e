//! A loopback HTTP proxy in front of moto that fails the requests of chosen
//! AWS services, to test throttling, 5xx and access-denied handling against
//! the real SDK retry logic. Every other request is forwarded unchanged.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// How matching requests are answered.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The signing name of the service to fail (`kms`, `ec2`, `s3`), as it
    /// appears in the SigV4 credential scope.
    pub service: String,
    /// Only requests signed for this region, when set.
    pub region: Option<String>,
    /// The HTTP status to answer.
    pub status: u16,
    /// The body to answer.
    pub body: String,
    /// The content type of the body.
    pub content_type: String,
    /// Only this operation (`ListAliases`, from `X-Amz-Target` or `Action=`),
    /// when set.
    pub operation: Option<String>,
    /// Hold matching requests (no answer) until [`FaultProxy::release`],
    /// then forward them: a slow service, to cancel a scan in flight.
    pub hold: bool,
}

impl Fault {
    /// A JSON-protocol throttling error (`ThrottlingException`), as KMS and
    /// other awsJson services send it.
    pub fn json_throttling(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            region: None,
            status: 400,
            body: r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_owned(),
            content_type: "application/x-amz-json-1.1".to_owned(),
            hold: false,
            operation: None,
        }
    }

    /// Holds every request of `service` until the proxy is released.
    pub fn hold(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            region: None,
            status: 0,
            body: String::new(),
            content_type: String::new(),
            hold: true,
            operation: None,
        }
    }

    /// A JSON-protocol access denied (`AccessDeniedException`), which the SDK
    /// does not retry.
    pub fn json_access_denied(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            region: None,
            status: 400,
            body: r#"{"__type":"AccessDeniedException","message":"not authorized"}"#.to_owned(),
            content_type: "application/x-amz-json-1.1".to_owned(),
            hold: false,
            operation: None,
        }
    }

    /// Narrows the fault to one operation.
    #[must_use]
    pub fn only(mut self, operation: &str) -> Self {
        self.operation = Some(operation.to_owned());
        self
    }

    /// A plain 503 Service Unavailable.
    pub fn unavailable(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            region: None,
            status: 503,
            body: "<Error><Code>ServiceUnavailable</Code><Message>try later</Message></Error>"
                .to_owned(),
            content_type: "text/xml".to_owned(),
            hold: false,
            operation: None,
        }
    }

    /// A query/XML-protocol access denied, as EC2 sends it.
    pub fn ec2_unauthorized() -> Self {
        Self {
            service: "ec2".to_owned(),
            region: None,
            status: 403,
            body: "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>x</RequestID></Response>".to_owned(),
            content_type: "text/xml".to_owned(),
            hold: false,
            operation: None,
        }
    }
}

/// A running proxy; it stops accepting when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    port: u16,
    faults: Arc<Mutex<Vec<Fault>>>,
    faulted: Arc<AtomicUsize>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    seen: Arc<Mutex<Vec<Call>>>,
    gate: Arc<Gate>,
}

/// Where held requests wait.
#[derive(Debug, Default)]
struct Gate {
    held: AtomicUsize,
    released: Mutex<bool>,
    open: Condvar,
}

impl Gate {
    fn wait(&self) {
        self.held.fetch_add(1, Ordering::SeqCst);
        let mut released = self.released.lock().expect("gate lock");
        while !*released {
            released = self.open.wait(released).expect("gate wait");
        }
    }

    fn release(&self) {
        *self.released.lock().expect("gate lock") = true;
        self.open.notify_all();
    }
}

/// One request that went through the proxy, as far as it can be named.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Call {
    /// The SigV4 signing name (`iam`, `kms`, `elasticloadbalancing`).
    pub service: String,
    /// The operation, from the query `Action=` parameter or the JSON
    /// `X-Amz-Target` header; `None` for REST protocols (S3, Lambda, GuardDuty).
    pub operation: Option<String>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream_port` on a free loopback port.
    pub fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let faults: Arc<Mutex<Vec<Fault>>> = Arc::default();
        let faulted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen: Arc<Mutex<Vec<Call>>> = Arc::default();
        let gate: Arc<Gate> = Arc::default();
        let (f, c, s, log, g) = (
            Arc::clone(&faults),
            Arc::clone(&faulted),
            Arc::clone(&stop),
            Arc::clone(&seen),
            Arc::clone(&gate),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (f, c, log, g) = (
                    Arc::clone(&f),
                    Arc::clone(&c),
                    Arc::clone(&log),
                    Arc::clone(&g),
                );
                std::thread::spawn(move || {
                    let _ = handle(conn, upstream_port, &f, &c, &log, &g);
                });
            }
        });
        Self {
            port,
            faults,
            faulted,
            stop,
            seen,
            gate,
        }
    }

    /// How many requests are being held right now or were held.
    pub fn held(&self) -> usize {
        self.gate.held.load(Ordering::SeqCst)
    }

    /// Lets held requests through (and every later one of a hold fault).
    pub fn release(&self) {
        self.gate.release();
    }

    /// Returns the proxy's endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Replaces the active faults.
    pub fn set_faults(&self, faults: Vec<Fault>) {
        *self.faults.lock().expect("faults lock") = faults;
    }

    /// Returns every request seen so far.
    pub fn calls(&self) -> Vec<Call> {
        self.seen.lock().expect("calls lock").clone()
    }

    /// Returns how many requests were answered with a fault so far.
    pub fn faulted(&self) -> usize {
        self.faulted.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.gate.release();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn handle(
    client: TcpStream,
    upstream_port: u16,
    faults: &Mutex<Vec<Fault>>,
    faulted: &AtomicUsize,
    seen: &Mutex<Vec<Call>>,
    gate: &Gate,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let end = line == "\r\n";
            head.push(line);
            if end {
                break;
            }
        }
        let header = |name: &str| {
            head.iter().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        let scope = header("authorization").and_then(|a| {
            let cred = a.split("Credential=").nth(1)?;
            let parts: Vec<&str> = cred.split(',').next()?.split('/').collect();
            Some((parts.get(2)?.to_string(), parts.get(3)?.to_string()))
        });
        if let Some((_, service)) = &scope {
            let operation = header("x-amz-target")
                .and_then(|t| t.rsplit('.').next().map(str::to_owned))
                .or_else(|| {
                    std::str::from_utf8(&body).ok().and_then(|b| {
                        b.split('&')
                            .find_map(|kv| kv.strip_prefix("Action=").map(str::to_owned))
                    })
                });
            if let Ok(mut log) = seen.lock() {
                log.push(Call {
                    service: service.clone(),
                    operation,
                });
            }
        }
        let operation = header("x-amz-target")
            .and_then(|t| t.rsplit('.').next().map(str::to_owned))
            .or_else(|| {
                std::str::from_utf8(&body).ok().and_then(|b| {
                    b.split('&')
                        .find_map(|kv| kv.strip_prefix("Action=").map(str::to_owned))
                })
            });
        let fault = scope.and_then(|(region, service)| {
            faults
                .lock()
                .ok()?
                .iter()
                .find(|f| {
                    f.service == service
                        && f.region.as_ref().is_none_or(|r| *r == region)
                        && f.operation
                            .as_ref()
                            .is_none_or(|o| Some(o) == operation.as_ref())
                })
                .cloned()
        });
        if let Some(f) = fault.as_ref().filter(|f| f.hold) {
            let _ = f;
            gate.wait();
        } else if let Some(f) = fault {
            faulted.fetch_add(1, Ordering::SeqCst);
            let reason = if f.status == 503 {
                "Service Unavailable"
            } else {
                "Error"
            };
            write!(
                client,
                "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nx-amzn-RequestId: fault\r\n\r\n{}",
                f.status,
                f.content_type,
                f.body.len(),
                f.body
            )?;
            client.flush()?;
            continue;
        }
        let mut up = TcpStream::connect(("127.0.0.1", upstream_port))?;
        for line in &head {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("connection:") {
                continue;
            }
            if line == "\r\n" {
                up.write_all(b"Connection: close\r\n")?;
            }
            up.write_all(line.as_bytes())?;
        }
        up.write_all(&body)?;
        let mut resp = Vec::new();
        up.read_to_end(&mut resp)?;
        client.write_all(&resp)?;
        client.flush()?;
        // The upstream answered with `Connection: close`; so do we.
        return Ok(());
    }
}
