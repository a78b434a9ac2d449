//! The `tchatche` binary itself: configuration errors at start, and a clean
//! stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use tchatche_protocol::Event;

use crate::support::Client;

fn without_colours(line: &str) -> String {
    let mut plain = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[test]
fn a_bad_configuration_is_refused_naming_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tchatche.toml");
    std::fs::write(
        &path,
        "[server]\nhttp_addr = \"127.0.0.1:0\"\n\n[limits]\nmax_body_chars = \"beaucoup\"\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tchatche"))
        .arg(&path)
        .env("TCHATCHE_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tchatche.toml:5:"), "{stderr}");
    assert!(stderr.contains("limits.max_body_chars"), "{stderr}");

    let output = Command::new(env!("CARGO_BIN_EXE_tchatche"))
        .env("TCHATCHE_MIN_AGE", "quinze")
        .env("TCHATCHE_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("TCHATCHE_MIN_AGE"));
}

#[tokio::test]
async fn sigterm_tells_clients_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tchatche"))
        .env("TCHATCHE_HTTP_ADDR", "127.0.0.1:0")
        .env("TCHATCHE_IRC_ADDR", "127.0.0.1:0")
        .env("TCHATCHE_DATA_DIR", dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let logs = std::thread::spawn(move || {
        let mut addr_tx = Some(addr_tx);
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let line = without_colours(&line);
            if let Some(rest) = line.split("http_addr=").nth(1) {
                let addr = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if let Some(tx) = addr_tx.take() {
                    let _ = tx.send(addr);
                }
            }
            lines.push(line);
        }
        lines
    });
    let addr = tokio::time::timeout(crate::support::WAIT, addr_rx)
        .await
        .unwrap()
        .unwrap();
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let mut client = Client::new(socket);
    assert!(matches!(client.next_event().await, Event::Welcome { .. }));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        client.expect_closed().await.as_deref(),
        Some("shutting_down")
    );
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    let lines = logs.join().unwrap();
    assert!(
        lines.iter().any(|line| line.contains("tchatche stopped")),
        "{lines:?}"
    );
}
