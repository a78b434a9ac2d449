//! SASL PLAIN over `AUTHENTICATE`, as a sans-IO state machine: the session
//! feeds it each `AUTHENTICATE` parameter and turns the [`SaslStep`] it
//! returns into numerics or a hub `authenticate` request.
//!
//! The payload arrives base64-encoded in lines of at most 400 characters; a
//! line of exactly 400 means more follows, and `+` stands for an empty line.

use base64::Engine;

/// The mechanisms offered (`CAP LS 302` shows them as `sasl=PLAIN`).
pub const MECHANISMS: &str = "PLAIN";

/// Base64 characters per AUTHENTICATE line; a full line means more follows.
const CHUNK: usize = 400;

/// Most base64 characters of one exchange: a nickname, a password of the
/// longest accepted length in UTF-8, and the separators fit well within.
const MAX_PAYLOAD: usize = 1200;

/// One SASL exchange of a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaslExchange {
    /// The base64 received so far, once `AUTHENTICATE PLAIN` was accepted.
    collecting: Option<String>,
}

/// What the session does after an `AUTHENTICATE` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaslStep {
    /// The mechanism is accepted: answer `AUTHENTICATE +`.
    SendPayload,
    /// A full chunk: wait for the next one.
    MoreWanted,
    /// A mechanism other than PLAIN: 908 (the list), then 904.
    UnknownMechanism,
    /// The client sent `*`: 906.
    Aborted,
    /// A line over 400 characters, or a payload over the limit: 905.
    TooLong,
    /// Not base64, or not `authzid NUL authcid NUL password`, or an
    /// authorisation identity other than the account: 904.
    Invalid,
    /// Check these credentials with the hub.
    Check {
        /// The account (a member's nickname).
        account: String,
        /// The password.
        password: String,
    },
}

impl SaslExchange {
    /// Handles the parameter of one `AUTHENTICATE` line. Every step but
    /// [`SaslStep::SendPayload`] and [`SaslStep::MoreWanted`] ends the exchange.
    pub fn feed(&mut self, param: &str) -> SaslStep {
        let Some(mut collected) = self.collecting.take() else {
            if param.eq_ignore_ascii_case(MECHANISMS) {
                self.collecting = Some(String::new());
                return SaslStep::SendPayload;
            }
            return SaslStep::UnknownMechanism;
        };
        if param == "*" {
            return SaslStep::Aborted;
        }
        if param.len() > CHUNK || collected.len() + param.len() > MAX_PAYLOAD {
            return SaslStep::TooLong;
        }
        if param != "+" {
            collected.push_str(param);
        }
        if param.len() == CHUNK {
            self.collecting = Some(collected);
            return SaslStep::MoreWanted;
        }
        match decode_plain(&collected) {
            Some((account, password)) => SaslStep::Check { account, password },
            None => SaslStep::Invalid,
        }
    }
}

/// The account and password of a PLAIN payload (base64 of `authzid NUL
/// authcid NUL password`), if it is one. An authorisation identity other
/// than the account is refused: nobody may act as someone else.
fn decode_plain(encoded: &str) -> Option<(String, String)> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let mut parts = text.split('\0');
    let (authzid, authcid, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || authcid.is_empty() || password.is_empty() {
        return None;
    }
    if !authzid.is_empty() && !authzid.eq_ignore_ascii_case(authcid) {
        return None;
    }
    Some((authcid.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    fn check(account: &str, password: &str) -> SaslStep {
        SaslStep::Check {
            account: account.into(),
            password: password.into(),
        }
    }

    #[test]
    fn a_plain_exchange_in_one_line() {
        let mut exchange = SaslExchange::default();
        assert_eq!(exchange.feed("plain"), SaslStep::SendPayload);
        assert_eq!(
            exchange.feed(&encode("\0Alice\0secret mot")),
            check("Alice", "secret mot")
        );
        // The exchange is over: the next line starts another.
        assert_eq!(exchange.feed("EXTERNAL"), SaslStep::UnknownMechanism);
    }

    #[test]
    fn long_payloads_come_in_chunks_of_400() {
        let password = "é".repeat(400);
        let payload = encode(&format!("Alice\0Alice\0{password}"));
        assert!(payload.len() > 800);
        let mut exchange = SaslExchange::default();
        exchange.feed("PLAIN");
        let mut chunks = payload.as_bytes().chunks(CHUNK).peekable();
        while let Some(chunk) = chunks.next() {
            let chunk = std::str::from_utf8(chunk).unwrap_or_default();
            let step = exchange.feed(chunk);
            if chunks.peek().is_some() {
                assert_eq!(step, SaslStep::MoreWanted);
            } else {
                assert_eq!(step, check("Alice", &password));
            }
        }
        // A payload of exactly 400 characters ends with `+`.
        let exact = encode(&format!("\0Alice\0{}", "x".repeat(293)));
        assert_eq!(exact.len(), CHUNK);
        exchange.feed("PLAIN");
        assert_eq!(exchange.feed(&exact), SaslStep::MoreWanted);
        assert_eq!(exchange.feed("+"), check("Alice", &"x".repeat(293)));
    }

    #[test]
    fn every_way_to_fail() {
        let cases = [
            ("*".to_owned(), SaslStep::Aborted),
            ("A".repeat(401), SaslStep::TooLong),
            ("pas du base64 !".to_owned(), SaslStep::Invalid),
            (encode("Alice\0secret"), SaslStep::Invalid),
            (encode("\0Alice\0"), SaslStep::Invalid),
            (encode("\0\0secret"), SaslStep::Invalid),
            (encode("Bob\0Alice\0secret"), SaslStep::Invalid),
            (encode("\0Alice\0a\0b"), SaslStep::Invalid),
            ("+".to_owned(), SaslStep::Invalid),
        ];
        for (line, expected) in cases {
            let mut exchange = SaslExchange::default();
            exchange.feed("PLAIN");
            assert_eq!(exchange.feed(&line), expected, "{line:?}");
            assert_eq!(exchange, SaslExchange::default(), "{line:?} ends it");
        }
        // Too many full chunks.
        let mut exchange = SaslExchange::default();
        exchange.feed("PLAIN");
        let chunk = "A".repeat(CHUNK);
        assert_eq!(exchange.feed(&chunk), SaslStep::MoreWanted);
        assert_eq!(exchange.feed(&chunk), SaslStep::MoreWanted);
        assert_eq!(exchange.feed(&chunk), SaslStep::MoreWanted);
        assert_eq!(exchange.feed(&chunk), SaslStep::TooLong);
    }
}
