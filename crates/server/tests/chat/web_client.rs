//! The web client served at `/` by a real server: the page, a hashed asset,
//! the manifest and its icons, the service worker, the favicon, client-side
//! routes, missing files, and revalidation.
//!
//! The files come from `web/dist`, built by `scripts/setup-web.sh` (which
//! `scripts/test.sh` runs first). Without a build the server answers `/` with
//! a page saying how to build the client, and this test checks that page
//! instead — unless `TCHATCHE_REQUIRE_WEB_CLIENT` is set, as the test script
//! sets it, in which case a missing build fails the test rather than letting
//! it pass without checking the real files.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::TestServer;

struct Response {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get(addr: SocketAddr, path: &str, extra_headers: &str) -> Response {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra_headers}Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("a complete HTTP response");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn dist() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/dist")
}

#[tokio::test]
async fn the_web_client_is_served_at_the_root() {
    let built = dist().join("index.html").is_file();
    if !built {
        assert!(
            std::env::var_os("TCHATCHE_REQUIRE_WEB_CLIENT").is_none(),
            "web/dist/index.html is missing: build the client (scripts/setup-web.sh)"
        );
        eprintln!("web/dist is not built: checking the 'not built' page only");
    }
    let server = TestServer::start().await;
    let addr = server.http_addr();
    if built {
        check_built_client(addr).await;
    } else {
        let page = get(addr, "/", "").await;
        assert_eq!(page.status, 503);
        assert!(
            page.text().contains("web client was not built"),
            "{}",
            page.text()
        );
        assert!(page.text().contains("npm run build"));
    }
    // The other routes are untouched by the client's fallback.
    assert_eq!(get(addr, "/healthz", "").await.status, 200);
    server.shutdown().await;
}

async fn check_built_client(addr: SocketAddr) {
    let page = get(addr, "/", "").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(page.header("cache-control"), "no-cache");
    assert!(
        page.header("content-security-policy")
            .contains("script-src 'self'")
    );
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    let html = page.text();
    assert!(html.contains(r#"<div id="app">"#), "{html}");
    assert!(
        html.contains(r#"rel="manifest" href="/manifest.webmanifest""#),
        "{html}"
    );

    // The hashed script the page loads: cached for a long time.
    let script = html
        .split(r#"src=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|src| src.starts_with("/assets/") && src.ends_with(".js"))
        .unwrap_or_else(|| panic!("no script under /assets/ in {html}"))
        .to_owned();
    let asset = get(addr, &script, "").await;
    assert_eq!(asset.status, 200, "{script}");
    assert_eq!(
        asset.header("content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        asset.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(asset.body.len() > 1000);

    // Revalidation: the same ETag gives 304 and no body.
    let etag = asset.header("etag").to_owned();
    assert!(etag.starts_with('"'), "{etag}");
    let again = get(addr, &script, &format!("If-None-Match: {etag}\r\n")).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    // The manifest and every icon it names.
    let manifest = get(addr, "/manifest.webmanifest", "").await;
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.header("content-type"), "application/manifest+json");
    assert_eq!(manifest.header("cache-control"), "no-cache");
    let manifest: serde_json::Value = serde_json::from_slice(&manifest.body).unwrap();
    assert_eq!(manifest["start_url"], "/");
    assert_eq!(manifest["display"], "standalone");
    let icons = manifest["icons"].as_array().unwrap();
    for size in ["192x192", "512x512"] {
        assert!(icons.iter().any(|icon| icon["sizes"] == size), "{size}");
    }
    assert!(icons.iter().any(|icon| icon["purpose"] == "maskable"));
    for icon in icons {
        let src = icon["src"].as_str().unwrap();
        let image = get(addr, src, "").await;
        assert_eq!(image.status, 200, "{src}");
        assert_eq!(image.header("content-type"), "image/png", "{src}");
        assert!(image.body.starts_with(b"\x89PNG\r\n\x1a\n"), "{src}");
    }

    // The service worker precaches the script and is always revalidated.
    let worker = get(addr, "/sw.js", "").await;
    assert_eq!(worker.status, 200);
    assert_eq!(worker.header("cache-control"), "no-cache");
    assert!(
        worker.text().contains(&script),
        "sw.js does not precache {script}"
    );

    let favicon = get(addr, "/favicon.ico", "").await;
    assert_eq!(favicon.status, 200);
    assert_eq!(favicon.header("content-type"), "image/x-icon");

    // A client-side route gets the app; a missing file gets 404.
    let route = get(addr, "/salon/paris", "").await;
    assert_eq!(route.status, 200);
    assert!(route.text().contains(r#"<div id="app">"#));
    for missing in ["/assets/missing-0000.js", "/nothing.png", "/api/rooms"] {
        assert_eq!(get(addr, missing, "").await.status, 404, "{missing}");
    }
}
