//! The headless-Chromium driver against a tiny loopback HTTP server. Needs
//! Chromium (`scripts/test` installs it); without it these tests fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a panic is a failed test"
)]

use std::time::Duration;

use shareline_test_support::browser::{Browser, Page};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Serves the test routes on 127.0.0.1; returns the base URL.
async fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handle(stream));
        }
    });
    format!("http://{addr}")
}

async fn handle(stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
        return;
    }
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).await.unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).await.is_err() {
        return;
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, html) = match path {
        "/" => (
            "200 OK",
            "<h1>Welcome to the test page</h1>\
             <form method=post action=/result><input name=q><button>Send</button></form>"
                .to_owned(),
        ),
        "/result" => {
            let body = String::from_utf8_lossy(&body);
            let q = body
                .split('&')
                .find_map(|kv| kv.strip_prefix("q="))
                .unwrap_or("");
            (
                "200 OK",
                format!("<p id=echo>You sent: {}</p>", escape(&decode_form(q))),
            )
        }
        "/broken" => (
            "200 OK",
            "<p>Broken</p><script>throw new Error('kaboom on purpose')</script>".to_owned(),
        ),
        _ => ("404 Not Found", "<p>Nothing here</p>".to_owned()),
    };
    let html = format!("<!doctype html><html><body>{html}</body></html>");
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{html}",
        html.len()
    );
    let _ = reader.get_mut().write_all(response.as_bytes()).await;
}

fn decode_form(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if value
                .get(i + 1..i + 3)
                .is_some_and(|hex| u8::from_str_radix(hex, 16).is_ok()) =>
            {
                out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn launch() -> Browser {
    Browser::launch()
        .await
        .unwrap_or_else(|e| panic!("cannot start the browser: {e}"))
}

async fn page(browser: &Browser) -> (shareline_test_support::browser::Context, Page) {
    let context = browser.new_context().await.unwrap();
    let page = context.new_page().await.unwrap();
    (context, page)
}

#[tokio::test]
async fn navigates_fills_and_submits_a_form() {
    let base = serve().await;
    let browser = launch().await;
    let (_context, page) = page(&browser).await;

    page.goto(&format!("{base}/")).await.unwrap();
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Welcome to the test page")
    );
    assert!(page.html().await.unwrap().contains("<form"));
    assert_eq!(page.last_status(), Some(200));

    page.fill("input[name=q]", "rock & roll <3").await.unwrap();
    page.submit_and_wait("form").await.unwrap();
    assert_eq!(page.url().await.unwrap(), format!("{base}/result"));
    assert_eq!(
        page.eval("document.querySelector('#echo').textContent")
            .await
            .unwrap(),
        "You sent: rock & roll <3"
    );
    page.eval("setTimeout(() => { document.title = 'later' }, 100)")
        .await
        .unwrap();
    page.wait_for("document.title === 'later'", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(page.errors(), Vec::<String>::new());

    // A submit button works as well as the form.
    page.goto(&format!("{base}/")).await.unwrap();
    page.fill("input[name=q]", "second").await.unwrap();
    page.submit_and_wait("button").await.unwrap();
    assert!(page.text().await.unwrap().contains("You sent: second"));

    browser.close().await.unwrap();
}

#[tokio::test]
async fn reports_errors_statuses_and_missing_elements() {
    let base = serve().await;
    let browser = launch().await;
    let (_context, page) = page(&browser).await;

    page.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(
        page.errors(),
        Vec::<String>::new(),
        "a clean page has no errors"
    );

    page.goto(&format!("{base}/broken")).await.unwrap();
    let errors = page.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("kaboom on purpose") && e.contains("/broken")),
        "{errors:?}"
    );

    page.eval("console.error('logged', 42)").await.unwrap();
    let errors = page.errors();
    assert!(errors.iter().any(|e| e.contains("logged 42")), "{errors:?}");

    page.goto(&format!("{base}/missing")).await.unwrap();
    assert_eq!(page.last_status(), Some(404));
    assert!(page.text().await.unwrap().contains("Nothing here"));

    let error = page.click("#nope").await.unwrap_err().to_string();
    assert!(error.contains("#nope"), "{error}");
    let error = page.eval("null.boom").await.unwrap_err().to_string();
    assert!(
        error.contains("null.boom") && error.contains("TypeError"),
        "{error}"
    );
    let error = page
        .wait_for("false", Duration::from_millis(200))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("`false`"), "{error}");
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = page
        .goto(&format!("http://127.0.0.1:{closed_port}/"))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("ERR_CONNECTION_REFUSED"), "{error}");
}

#[tokio::test]
async fn takes_screenshots() {
    let base = serve().await;
    let browser = launch().await;
    let (_context, page) = page(&browser).await;
    page.set_viewport(640, 480).await.unwrap();
    page.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(
        page.eval("[innerWidth, innerHeight]").await.unwrap(),
        serde_json::json!([640, 480])
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/shot.png");
    page.screenshot(&path).await.unwrap();
    let png = std::fs::read(&path).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG: {:?}",
        &png[..png.len().min(8)]
    );
}

#[tokio::test]
async fn contexts_do_not_share_cookies() {
    let base = serve().await;
    let browser = launch().await;
    let (admin, admin_page) = page(&browser).await;
    let (_viewer, viewer_page) = page(&browser).await;

    admin_page.goto(&format!("{base}/")).await.unwrap();
    admin_page
        .eval("document.cookie = 'role=admin; path=/'")
        .await
        .unwrap();
    assert_eq!(
        admin_page.eval("document.cookie").await.unwrap(),
        "role=admin"
    );

    // Another page of the same context sees the cookie; the other context does not.
    let second_admin_page = admin.new_page().await.unwrap();
    second_admin_page.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(
        second_admin_page.eval("document.cookie").await.unwrap(),
        "role=admin"
    );
    viewer_page.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(viewer_page.eval("document.cookie").await.unwrap(), "");
}
