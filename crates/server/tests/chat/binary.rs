//! The `tchatche` binary itself: configuration errors at start, and a clean
//! stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;
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

/// The `tchatche` binary running on a data folder, its log read line by
/// line on a thread.
struct RunningBinary {
    child: std::process::Child,
    /// The HTTP address it listens on.
    addr: String,
    logs: std::thread::JoinHandle<Vec<String>>,
}

impl RunningBinary {
    /// Starts the binary on `data_dir` (with the configuration file
    /// `config`, if any) and waits until it listens.
    async fn start(data_dir: &std::path::Path, config: Option<&std::path::Path>) -> RunningBinary {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tchatche"));
        command
            .env("TCHATCHE_HTTP_ADDR", "127.0.0.1:0")
            .env("TCHATCHE_IRC_ADDR", "127.0.0.1:0")
            .env("TCHATCHE_DATA_DIR", data_dir)
            .env_remove("TCHATCHE_CONFIG")
            .stdout(Stdio::piped());
        if let Some(config) = config {
            command.env("TCHATCHE_CONFIG", config);
        }
        let mut child = command.spawn().unwrap();
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
        RunningBinary { child, addr, logs }
    }

    /// A connected client that has read its `welcome`.
    async fn client(&self) -> Client {
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", self.addr))
            .await
            .unwrap();
        let mut client = Client::new(socket);
        assert!(matches!(client.next_event().await, Event::Welcome { .. }));
        client
    }

    /// Sends `signal` and waits for the process to end; returns its exit
    /// status and its log.
    async fn stop(mut self, signal: &str) -> (std::process::ExitStatus, Vec<String>) {
        if signal == "-KILL" {
            // At once, from this process: a crash leaves no time at all.
            self.child.kill().unwrap();
        } else {
            let status = Command::new("kill")
                .args([signal, &self.child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
        }
        let exit = tokio::task::spawn_blocking(move || self.child.wait())
            .await
            .unwrap()
            .unwrap();
        (exit, self.logs.join().unwrap())
    }
}

#[tokio::test]
async fn sigterm_tells_clients_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let binary = RunningBinary::start(dir.path(), None).await;
    let client = binary.client().await;
    let mut client = client.entered_as("Alice", 25).await;
    let (exit_code, lines) = {
        let stopping = binary.stop("-TERM");
        let closed = client.expect_closed();
        let ((exit, lines), closed) = tokio::join!(stopping, closed);
        assert_eq!(closed.as_deref(), Some("shutting_down"));
        (exit, lines)
    };
    assert!(exit_code.success(), "{exit_code:?}");
    assert!(
        lines.iter().any(|line| line.contains("tchatche stopped")),
        "{lines:?}"
    );
    // Regression (issue 11, item 12): entering is logged, without the
    // person's address (connection records are its place).
    let entered = lines
        .iter()
        .find(|line| line.contains("entered"))
        .expect("an entry in the log");
    assert!(entered.contains("Alice"), "{entered}");
    assert!(
        lines
            .iter()
            .all(|line| !line.contains("127.0.0.1:") || line.contains("listening")),
        "an address in the log: {lines:?}"
    );
}

/// Regression (issue 11, item 7): `sent` means stored. A guest sends 2,000
/// messages in windows of 20, then 500 at once, waiting for each window's
/// `sent`; the server is killed (SIGKILL) right after the last one. After a restart, every
/// acknowledged message among the newest is in the room's history.
#[tokio::test]
async fn acknowledged_messages_survive_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let binary = RunningBinary::start(dir.path(), None).await;
    let mut alice = binary.client().await.entered_as("Alice", 25).await;
    alice.join("paris").await;
    let mut acknowledged = Vec::new();
    // 2,000 in windows of 20, then one window of 500: a large last batch.
    let windows = (0..100)
        .map(|window| (window * 20, 20))
        .chain([(2000, 500)]);
    for (first, size) in windows {
        let mut sent = Vec::new();
        for n in 0..size {
            let body = format!("message {}", first + n);
            sent.push(
                alice
                    .send(json!({"type": "say", "room": "paris", "body": body}))
                    .await,
            );
        }
        for req in sent {
            match alice.expect("sent", |event| event.req() == Some(req)).await {
                Event::Sent { id, .. } => acknowledged.push(id),
                other => panic!("{other:?}"),
            }
        }
    }
    let (exit, _) = binary.stop("-KILL").await;
    assert!(!exit.success());

    let binary = RunningBinary::start(dir.path(), None).await;
    let mut bob = binary.client().await.entered_as("Bob", 30).await;
    let Event::Joined { history, .. } = bob.join("paris").await else {
        unreachable!()
    };
    let kept: Vec<_> = history.iter().map(|message| message.id).collect();
    let newest = &acknowledged[acknowledged.len() - kept.len().max(1)..];
    assert_eq!(
        kept.len(),
        50,
        "the scrollback is full after 2,500 messages"
    );
    assert_eq!(
        kept, newest,
        "every acknowledged message is stored, in order"
    );
    binary.stop("-TERM").await;
}

/// Regression (issue 11, item 7): `sanction_recorded` means recorded: a
/// ban acknowledged just before a crash holds after the restart.
#[tokio::test]
async fn an_acknowledged_sanction_survives_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tchatche.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &config,
        "[accounts]\nargon2_memory_kib = 1024\nargon2_iterations = 1\n",
    )
    .unwrap();
    let binary = RunningBinary::start(&data, Some(&config)).await;
    let mut vigie = binary.client().await.entered_as("Vigie", 40).await;
    vigie.register("le phare éclaire la baie 7").await;
    drop(vigie);
    binary.stop("-TERM").await;
    std::fs::write(
        &config,
        "[accounts]\nargon2_memory_kib = 1024\nargon2_iterations = 1\n\n[staff]\nmoderators = [\"Vigie\"]\n",
    )
    .unwrap();
    let binary = RunningBinary::start(&data, Some(&config)).await;
    let mut vigie = binary.client().await;
    let entered = vigie
        .enter_member("Vigie", "le phare éclaire la baie 7")
        .await;
    assert!(matches!(entered, Event::Entered { .. }), "{entered:?}");
    let recorded = vigie
        .request(json!({"type": "sanction", "nick": "Relou", "kind": "ban",
                       "reason": "Menaces"}))
        .await;
    assert!(
        matches!(recorded, Event::SanctionRecorded { .. }),
        "{recorded:?}"
    );
    binary.stop("-KILL").await;

    let binary = RunningBinary::start(&data, Some(&config)).await;
    let mut relou = binary.client().await;
    let refused = relou.enter("Relou", 30, "homme", "75").await;
    assert_eq!(crate::support::error_code(&refused), "banned");
    binary.stop("-TERM").await;
}
