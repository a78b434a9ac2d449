//! Hub events as IRC lines: sources, real names, modes, and the shared
//! encoding of room messages.
//!
//! A room message is encoded at most twice for all IRC recipients, cached
//! by the hub's `Outgoing`: with tags ([`encode_room_message`]) for clients
//! that asked for them, without ([`encode_room_message_plain`]) for the
//! others.

use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use tchatche_protocol::{DirectMessage, Event, RoomFlags, RoomMessage, UserSummary};

use crate::codec::Message;
use crate::session::channel_name;

/// The host part of every user's source: addresses are never shown.
pub const HOST: &str = "tchatche";
/// Bytes of text per line when a message is split for IRC.
const CHUNK_BYTES: usize = 350;

/// `nick!~guest@tchatche`.
pub fn mask(nick: &str) -> String {
    format!("{nick}!~guest@{HOST}")
}

/// The real name shown for someone: their profile, as they would give it.
pub fn realname(user: &UserSummary) -> String {
    let gender = match user.gender {
        tchatche_protocol::Gender::Homme => "H",
        tchatche_protocol::Gender::Femme => "F",
        tchatche_protocol::Gender::Autre => "A",
    };
    format!("{} {gender} {}", user.age, user.department)
}

/// The account shown for someone: their nickname for a member, `*` for a
/// guest (extended-join, ACCOUNT).
pub fn account(user: &UserSummary) -> &str {
    if user.member { &user.nick } else { "*" }
}

/// Channel modes as IRC shows them (`+mntl 10`).
pub fn channel_modes(flags: &RoomFlags) -> String {
    let mut modes = String::from("+");
    if flags.moderated {
        modes.push('m');
    }
    if flags.invite_only {
        modes.push('i');
    }
    if flags.has_key {
        modes.push('k');
    }
    modes.push_str("nt");
    if let Some(capacity) = flags.capacity {
        modes.push('l');
        modes.push_str(&format!(" {capacity}"));
    }
    modes
}

/// The MODE changes (as parameter lists after the channel) that turn `old`
/// flags into `new` ones. The key itself is never known here: it shows as `*`.
pub fn mode_changes(old: &RoomFlags, new: &RoomFlags) -> Vec<Vec<String>> {
    let mut changes = Vec::new();
    let mut toggle = |before: bool, after: bool, letter: char, argument: Option<&str>| {
        if before != after {
            let mut change = vec![format!("{}{letter}", if after { '+' } else { '-' })];
            if after {
                change.extend(argument.map(str::to_owned));
            }
            changes.push(change);
        }
    };
    toggle(old.moderated, new.moderated, 'm', None);
    toggle(old.invite_only, new.invite_only, 'i', None);
    toggle(old.has_key, new.has_key, 'k', Some("*"));
    if old.capacity != new.capacity {
        match new.capacity {
            Some(limit) => changes.push(vec!["+l".to_owned(), limit.to_string()]),
            None => changes.push(vec!["-l".to_owned()]),
        }
    }
    changes
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    tchatche_hub::now_ms()
}

/// The real name of someone who left.
pub fn departure_realname(departure: &tchatche_protocol::Departure) -> String {
    let gender = match departure.gender {
        tchatche_protocol::Gender::Homme => "H",
        tchatche_protocol::Gender::Femme => "F",
        tchatche_protocol::Gender::Autre => "A",
    };
    format!("{} {gender} {}", departure.age, departure.department)
}

/// A line (with CR LF) with one more tag.
pub fn with_tag(line: &str, tag: &str) -> String {
    match line.strip_prefix('@') {
        Some(rest) => format!("@{tag};{rest}"),
        None => format!("@{tag} {line}"),
    }
}

/// A time to the minute for people to read: `2026-11-29 18:05 UTC`.
pub fn utc_minute(at_ms: u64) -> String {
    let text =
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(at_ms)).to_string();
    // `2026-11-29T18:05:07Z`
    match (text.get(..10), text.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => text,
    }
}

/// RFC 3339 time with milliseconds, as the `time` tag wants it.
fn server_time(at_ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(at_ms)).to_string()
}

/// Splits a body into IRC-sized lines: one per line of text, long ones cut
/// at character boundaries.
fn body_lines(body: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    for line in body.split('\n') {
        let mut rest = line.trim_end_matches('\r');
        if rest.is_empty() {
            continue;
        }
        while rest.len() > CHUNK_BYTES {
            let mut cut = CHUNK_BYTES;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            lines.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        lines.push(rest);
    }
    lines
}

/// When and which message, and the author's account: the `time`, `msgid`
/// and `account` tags.
struct Stamp<'a> {
    at_ms: u64,
    id: u64,
    account: Option<&'a str>,
}

/// Appends `source command target :line` for each line of `body`, tagged
/// with `stamp` when given.
fn text_lines(
    out: &mut String,
    stamp: Option<Stamp<'_>>,
    source: &str,
    command: &str,
    target: &str,
    body: &str,
) {
    for text in body_lines(body) {
        let mut message = Message::new(Some(source), command, &[target, text]);
        if let Some(stamp) = &stamp {
            message
                .tags
                .push(("time".to_owned(), Some(server_time(stamp.at_ms))));
            message
                .tags
                .push(("msgid".to_owned(), Some(stamp.id.to_string())));
            if let Some(account) = stamp.account {
                message
                    .tags
                    .push(("account".to_owned(), Some(account.to_owned())));
            }
        }
        message.write(out);
    }
}

/// The IRC encoding of a room message, with tags; shared by every IRC
/// recipient through the hub's `Outgoing` cache. Other events encode to
/// nothing here: sessions render them.
pub fn encode_room_message(event: &Event) -> Bytes {
    let Event::Message(message) = event else {
        return Bytes::new();
    };
    Bytes::from(room_message_lines(message, true))
}

/// The same without tags, shared by every IRC recipient that takes none.
pub fn encode_room_message_plain(event: &Event) -> Bytes {
    let Event::Message(message) = event else {
        return Bytes::new();
    };
    Bytes::from(room_message_lines(message, false))
}

/// The lines of a room message, tagged or not.
pub fn room_message_lines(message: &RoomMessage, tags: bool) -> String {
    let mut out = String::new();
    text_lines(
        &mut out,
        tags.then_some(Stamp {
            at_ms: message.at,
            id: message.id.0,
            account: message
                .author
                .member
                .then_some(message.author.nick.as_str()),
        }),
        &mask(&message.author.nick),
        "PRIVMSG",
        &channel_name(&message.room),
        &message.body,
    );
    out
}

/// The lines of a private message, from the sender's mask to the recipient.
pub fn dm_lines(message: &DirectMessage, command: &str, tags: bool) -> String {
    let mut out = String::new();
    text_lines(
        &mut out,
        tags.then_some(Stamp {
            at_ms: message.at,
            id: message.id.0,
            account: message.from.member.then_some(message.from.nick.as_str()),
        }),
        &mask(&message.from.nick),
        command,
        &message.to.nick,
        &message.body,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tchatche_protocol::{Author, MessageId, UserId};

    fn message(body: &str) -> RoomMessage {
        RoomMessage {
            room: "paris".into(),
            id: MessageId(42),
            author: Author {
                id: UserId(1),
                nick: "Alice".into(),
                member: false,
            },
            body: body.into(),
            at: 1_767_225_600_123,
            reply: None,
            mentions: Vec::new(),
        }
    }

    #[test]
    fn room_messages_encode_with_and_without_tags() {
        let tagged = encode_room_message(&Event::Message(message("salut")));
        assert_eq!(
            &tagged[..],
            b"@time=2026-01-01T00:00:00.123Z;msgid=42 :Alice!~guest@tchatche PRIVMSG #paris :salut\r\n"
        );
        let plain = encode_room_message_plain(&Event::Message(message("salut")));
        assert_eq!(
            &plain[..],
            b":Alice!~guest@tchatche PRIVMSG #paris :salut\r\n"
        );
    }

    #[test]
    fn long_and_multi_line_bodies_become_several_lines() {
        let body = format!("ligne un\n{}", "é".repeat(300));
        let lines = room_message_lines(&message(&body), false);
        let lines: Vec<_> = lines.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|line| line.len() <= 512));
        assert!(lines[0].ends_with(":ligne un") || lines[0].ends_with(" ligne un"));
    }

    #[test]
    fn modes_and_their_changes() {
        let plain = RoomFlags::default();
        let moderated = RoomFlags {
            moderated: true,
            capacity: Some(10),
            ..RoomFlags::default()
        };
        let locked = RoomFlags {
            invite_only: true,
            has_key: true,
            ..RoomFlags::default()
        };
        assert_eq!(channel_modes(&plain), "+nt");
        assert_eq!(channel_modes(&moderated), "+mntl 10");
        assert_eq!(channel_modes(&locked), "+iknt");
        let change = |items: &[&[&str]]| -> Vec<Vec<String>> {
            items
                .iter()
                .map(|item| item.iter().map(|s| (*s).to_owned()).collect())
                .collect()
        };
        assert_eq!(
            mode_changes(&plain, &moderated),
            change(&[&["+m"], &["+l", "10"]])
        );
        assert_eq!(
            mode_changes(&moderated, &plain),
            change(&[&["-m"], &["-l"]])
        );
        assert_eq!(
            mode_changes(&plain, &locked),
            change(&[&["+i"], &["+k", "*"]])
        );
        assert_eq!(mode_changes(&locked, &plain), change(&[&["-i"], &["-k"]]));
    }
}
