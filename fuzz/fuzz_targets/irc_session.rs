//! Fuzzes the IRC session (sans-IO): any lines, before and after
//! registration, must never panic, and every reply must be whole lines.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use tchatche_irc::session::{IrcSettings, Session};

fuzz_target!(|data: &[u8]| {
    let settings = Arc::new(IrcSettings {
        server_name: "tchatche".to_owned(),
        motd: vec!["fuzz".to_owned()],
        default_guest_profile: "30 A 75".to_owned(),
        history_limit: 50,
    });
    let mut session = Session::new(settings);
    let text = String::from_utf8_lossy(data);
    for line in text.split(['\r', '\n']).filter(|line| !line.is_empty()) {
        session.on_line(line);
        assert!(session.out.is_empty() || session.out.ends_with("\r\n"));
        session.out.clear();
        session.requests.clear();
        if session.quit {
            break;
        }
    }
});
