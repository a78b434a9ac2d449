//! Fuzzes the IRC line codec: any bytes split into lines, parsed, written
//! back and parsed again, must never panic; a written message is always one
//! line, and writing is stable once a message went through it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tchatche_irc::codec::{LineBuffer, Message};

fuzz_target!(|data: &[u8]| {
    let mut buffer = LineBuffer::new();
    // Feed in two pieces, as a socket would.
    let (head, tail) = data.split_at(data.len() / 2);
    buffer.push(head);
    let mut lines = Vec::new();
    while let Some(line) = buffer.next_line() {
        lines.push(line);
    }
    buffer.push(tail);
    while let Some(line) = buffer.next_line() {
        lines.push(line);
    }
    for line in lines.into_iter().flatten() {
        let Ok(message) = Message::parse(&line) else {
            continue;
        };
        let written = message.to_line();
        assert!(written.ends_with("\r\n"));
        assert!(!written[..written.len() - 2].contains(['\r', '\n', '\0']));
        if let Ok(again) = Message::parse(written.trim_end_matches("\r\n")) {
            assert_eq!(again.to_line(), again.to_line());
        }
    }
});
