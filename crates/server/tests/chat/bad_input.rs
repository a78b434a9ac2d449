//! Bad input: each unreadable frame gets its own error and the connection
//! stays usable; only sustained garbage closes it.

use futures_util::StreamExt;
use serde_json::json;
use tchatche_protocol::Event;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::support::{TestServer, error_code};

async fn still_usable(client: &mut crate::support::Client) {
    assert!(matches!(
        client.request(json!({"type": "ping"})).await,
        Event::Pong { .. }
    ));
}

#[tokio::test]
async fn each_bad_frame_gets_a_specific_error_and_nothing_else_is_lost() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    alice.join("paris").await;

    let cases: Vec<(Message, &str)> = vec![
        (Message::text("{not json"), "bad_json"),
        (Message::text("[1, 2, 3]"), "bad_json"),
        (
            Message::text(r#"{"type": "dance", "req": 7}"#),
            "unknown_command",
        ),
        (Message::text(r#"{"req": 8}"#), "missing_field"),
        (
            Message::text(r#"{"type": "join", "req": 9}"#),
            "missing_field",
        ),
        (
            Message::text(r#"{"type": "say", "room": 5, "body": "x"}"#),
            "invalid_field",
        ),
        (
            Message::binary(vec![b'{', 0xff, 0xfe, b'}']),
            "invalid_utf8",
        ),
        // A text frame whose bytes are not UTF-8 (sent raw: the client library would refuse it).
        (
            Message::Frame(Frame::message(
                vec![b'"', 0xc3, 0x28, b'"'],
                OpCode::Data(Data::Text),
                true,
            )),
            "invalid_utf8",
        ),
        (
            Message::text(format!(
                r#"{{"type":"say","room":"paris","body":"{}"}}"#,
                "x".repeat(17 * 1024)
            )),
            "frame_too_large",
        ),
        // Far above the limit: skipped as it arrives, never held, still answered.
        (
            Message::text(format!(
                r#"{{"type":"say","room":"paris","body":"{}"}}"#,
                "y".repeat(5 << 20)
            )),
            "frame_too_large",
        ),
    ];
    for (message, code) in cases {
        alice.send_message(message).await;
        let event = alice
            .expect("an error", |e| matches!(e, Event::Error(_)))
            .await;
        assert_eq!(error_code(&event), code);
        let Event::Error(error) = &event else {
            unreachable!()
        };
        assert!(!error.message_fr.is_empty() && !error.message_en.is_empty());
        still_usable(&mut alice).await;
    }
    // The `req` is kept whenever it could be read.
    alice.send_text(r#"{"type": "dance", "req": 77}"#).await;
    let event = alice
        .expect("an error", |e| matches!(e, Event::Error(_)))
        .await;
    assert_eq!(event.req(), Some(77));
    // The room membership survived all of that.
    alice.say("paris", "toujours là").await;
    alice.expect_message("paris", "toujours là").await;
    server.shutdown().await;
}

#[tokio::test]
async fn fragmented_messages_are_reassembled() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    let text = br#"{"type":"ping","req":41}"#;
    let (head, tail) = text.split_at(10);
    alice
        .send_message(Message::Frame(Frame::message(
            head.to_vec(),
            OpCode::Data(Data::Text),
            false,
        )))
        .await;
    alice
        .send_message(Message::Frame(Frame::message(
            tail.to_vec(),
            OpCode::Data(Data::Continue),
            true,
        )))
        .await;
    let event = alice
        .expect("pong", |e| matches!(e, Event::Pong { .. }))
        .await;
    assert_eq!(event, Event::Pong { req: Some(41) });
    server.shutdown().await;
}

#[tokio::test]
async fn twenty_bad_frames_in_a_row_close_the_connection_with_a_reason() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    // Nineteen bad frames, then a good one: the count starts again.
    for _ in 0..19 {
        alice.send_text("garbage").await;
    }
    still_usable(&mut alice).await;
    for _ in 0..20 {
        alice.send_text("garbage").await;
    }
    assert_eq!(
        alice.expect_closed().await.as_deref(),
        Some("too_many_bad_frames")
    );
    server.shutdown().await;
}

/// Regression (issue 11, item 10): in one burst, the answers to the first
/// nineteen bad frames are written before the connection closes.
#[tokio::test]
async fn twenty_bad_frames_in_one_burst_get_their_errors_before_the_close() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    alice.send_burst(&vec!["garbage".to_owned(); 20]).await;
    let mut errors = 0;
    let closing = loop {
        match alice.next_text().await {
            None => break None,
            Some(text) => match serde_json::from_str::<Event>(&text) {
                Ok(Event::Error(error)) => {
                    assert_eq!(error.code, tchatche_protocol::ErrorCode::BadJson);
                    errors += 1;
                }
                Ok(Event::Closing { reason, .. }) => break Some(reason),
                other => panic!("unexpected {other:?}"),
            },
        }
    };
    assert_eq!(errors, 19);
    assert_eq!(
        closing,
        Some(tchatche_protocol::ErrorCode::TooManyBadFrames)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_broken_frame_format_closes_with_a_protocol_error() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    // A reserved bit set without a negotiated extension (RFC 6455 §5.2).
    let mut frame = Frame::message(b"{}".to_vec(), OpCode::Data(Data::Text), true);
    frame.header_mut().rsv1 = true;
    alice.send_message(Message::Frame(frame)).await;
    let close = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match alice.socket.next().await {
                Some(Ok(Message::Close(close))) => return close,
                Some(Ok(Message::Text(text))) => {
                    assert!(!text.contains("closing"), "no closing event: {text}")
                }
                Some(Ok(_)) => {}
                other => panic!("connection ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame");
    let close = close.expect("a close code");
    assert_eq!(u16::from(close.code), 1002);
    assert_eq!(close.reason.as_str(), "protocol error");
    server.shutdown().await;
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let server = TestServer::start().await;
    for path in ["/healthz", "/readyz"] {
        let response = http_get(server.http_addr(), path).await;
        assert!(response.starts_with("HTTP/1.1 200"), "{path}: {response}");
    }
    server.shutdown().await;
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}
