//! The web client: the files of `web/dist` (built by `npm run build` in
//! `web/`), embedded in the binary and served at `/`.
//!
//! Release builds carry the files inside the binary; debug builds read them
//! from `web/dist` at run time (rust-embed's behaviour), so a rebuilt client
//! shows without recompiling. When the client was never built the server
//! still compiles and runs: `/` then explains how to build it.
//!
//! Compression: the build writes a Brotli (`.br`) and a gzip (`.gz`) copy of
//! each text file beside it (`precompress` in `web/vite.config.ts`); a browser
//! that accepts one gets it with `Content-Encoding`, so nothing is compressed
//! at run time.
//!
//! Caching: names under `assets/` carry a content hash and are cached for a
//! year; `index.html`, `sw.js` and the manifest must be revalidated on every
//! load so that a new version is picked up; the other files (icons) for a day.
//! Paths that look like files and do not exist are 404; other unknown paths
//! get `index.html`, so the client's own routes survive a reload.

use axum::body::Body;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_SECURITY_POLICY,
    CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY, VARY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

/// The built client. `allow_missing`: without a build the set is empty.
#[derive(Embed)]
#[folder = "../../web/dist/"]
#[allow_missing = true]
struct WebClient;

const INDEX: &str = "index.html";

/// What the browser may load, run and connect to: only this origin, no
/// inline script (so text that slipped into the page as HTML could not run),
/// no framing. Styles may be inline because Svelte sets some at run time.
const CONTENT_SECURITY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// The encodings the build writes copies in, best first: (`Content-Encoding`, file suffix).
const ENCODINGS: &[(&str, &str)] = &[("br", ".br"), ("gzip", ".gz")];

/// Paths the client never owns: a miss there is a 404, not the app.
const RESERVED_PREFIXES: &[&str] = &["/ws/", "/healthz/", "/readyz/", "/api/"];

/// Answers every request no other route took.
pub(crate) async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response();
    }
    let path = uri.path();
    let name = path.trim_start_matches('/');
    let name = if name.is_empty() { INDEX } else { name };
    if let Some(file) = WebClient::get(name) {
        return file_response(name, file, &headers, &method);
    }
    if looks_like_a_file(path) || RESERVED_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    match WebClient::get(INDEX) {
        Some(index) => file_response(INDEX, index, &headers, &method),
        None => not_built(),
    }
}

/// `/assets/app.js`, `/favicon.ico`: the last segment has an extension.
fn looks_like_a_file(path: &str) -> bool {
    path.starts_with("/assets/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

fn file_response(
    name: &str,
    file: rust_embed::EmbeddedFile,
    request: &HeaderMap,
    method: &Method,
) -> Response {
    let compressible = ENCODINGS
        .iter()
        .any(|(_, suffix)| WebClient::get(&format!("{name}{suffix}")).is_some());
    let accepted = request
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let encoded = ENCODINGS.iter().find_map(|(encoding, suffix)| {
        if !accepts(&accepted, encoding) {
            return None;
        }
        WebClient::get(&format!("{name}{suffix}")).map(|copy| (*encoding, copy))
    });
    let (encoding, file) = match encoded {
        Some((encoding, copy)) => (Some(encoding), copy),
        None => (None, file),
    };
    // Each encoding is its own representation, with its own tag.
    let etag = format!(
        "\"{}{}\"",
        hex(&file.metadata.sha256_hash()[..16]),
        encoding.map_or(String::new(), |encoding| format!("-{encoding}"))
    );
    let mut response = if request
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else if method == Method::HEAD {
        let mut response = StatusCode::OK.into_response();
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(file.data.len()));
        response
    } else {
        (StatusCode::OK, Body::from(file.data.into_owned())).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(name)));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control(name)));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Some(encoding) = encoding {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    if compressible {
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    if name.ends_with(".html") {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY),
        );
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    response
}

/// Whether an `Accept-Encoding` value accepts `encoding`: named (or `*`)
/// without `q=0`. Names are case-insensitive; an explicit `q=0` for the name
/// wins over `*`.
fn accepts(accept_encoding: &str, encoding: &str) -> bool {
    let mut star = false;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let token = parts.next().unwrap_or("").trim();
        let refused = parts.any(|parameter| {
            let parameter = parameter.trim();
            parameter
                .strip_prefix("q=")
                .or_else(|| parameter.strip_prefix("Q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if token.eq_ignore_ascii_case(encoding) {
            return !refused;
        }
        if token == "*" {
            star = !refused;
        }
    }
    star
}

fn cache_control(name: &str) -> &'static str {
    if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else if name == INDEX || name == "sw.js" || name == "manifest.webmanifest" {
        "no-cache"
    } else {
        "public, max-age=86400"
    }
}

/// The types of the files a Vite build produces.
fn content_type(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map_or("", |(_, extension)| extension);
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `/` when `web/dist` was missing at build time (or, in a debug build, is
/// missing now).
fn not_built() -> Response {
    let page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
        <title>tchatche: web client not built</title></head><body>\n\
        <h1>The web client was not built</h1>\n\
        <p>This server runs (the WebSocket protocol is at <code>/ws</code>), but it was \
        compiled without the web client. Build it, then rebuild the server:</p>\n\
        <pre>cd web &amp;&amp; npm ci &amp;&amp; npm run build\ncargo build --release -p tchatche</pre>\n\
        <p><code>./scripts/run.sh</code> does both.</p>\n</body></html>\n";
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_routes_are_told_apart() {
        assert!(looks_like_a_file("/assets/index-abc.js"));
        assert!(looks_like_a_file("/assets/missing"));
        assert!(looks_like_a_file("/favicon.ico"));
        assert!(looks_like_a_file("/icons/icon-192.png"));
        assert!(!looks_like_a_file("/"));
        assert!(!looks_like_a_file("/salon/paris"));
    }

    #[test]
    fn hashed_assets_are_cached_long_and_entry_points_revalidated() {
        assert_eq!(
            cache_control("assets/index-abc.js"),
            "public, max-age=31536000, immutable"
        );
        for name in ["index.html", "sw.js", "manifest.webmanifest"] {
            assert_eq!(cache_control(name), "no-cache", "{name}");
        }
        assert_eq!(cache_control("icons/icon-192.png"), "public, max-age=86400");
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("gzip, deflate, br, zstd", "gzip"));
        assert!(accepts("GZIP", "gzip"));
        assert!(accepts("br;q=0.5", "br"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(!accepts("br;q=0.0", "br"));
        assert!(accepts("*", "br"));
        assert!(!accepts("*, br;q=0", "br"));
        assert!(!accepts("*;q=0", "gzip"));
        assert!(!accepts("identity", "gzip"));
        assert!(!accepts("", "gzip"));
    }

    #[test]
    fn content_types_cover_the_build() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/a.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("manifest.webmanifest"),
            "application/manifest+json"
        );
        assert_eq!(content_type("favicon.ico"), "image/x-icon");
        assert_eq!(content_type("noextension"), "application/octet-stream");
    }
}
