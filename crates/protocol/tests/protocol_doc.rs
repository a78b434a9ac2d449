//! Keeps `docs/PROTOCOL.md` true to the protocol types: every command, event
//! and error code is documented, and every JSON example decodes.
//!
//! Conventions the document follows (and this test relies on):
//! - commands are `### `type`` headings under the `## 4. Commands` heading,
//!   events the same under `## 5. Events`;
//! - error codes are rows `| `code` | when | French | English |` of the table
//!   under `## 6. Error codes`;
//! - JSON examples are fenced blocks whose info string is `json command`,
//!   `json event` or `json object <Type>`; no other `json` block is allowed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tchatche_protocol::{
    Author, Band, Command, Departure, DirectMessage, ErrorCode, ErrorEvent, Event, Limits,
    MessageId, ReplyRef, RoomCount, RoomFlags, RoomMember, RoomMessage, RoomRole, RoomSummary,
    UserId, UserSummary, decode_request,
};

fn doc_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/PROTOCOL.md");
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("reading {path}: {error}"))
}

/// A heading of the document, outside code blocks.
struct Heading {
    level: usize,
    text: String,
}

/// A fenced code block.
struct Block {
    info: String,
    body: String,
    line: usize,
}

/// A line of the document with what it belongs to.
enum Line<'a> {
    Heading(Heading),
    Text(&'a str),
}

struct Doc<'a> {
    lines: Vec<Line<'a>>,
    blocks: Vec<Block>,
}

fn parse(text: &str) -> Doc<'_> {
    let mut lines = Vec::new();
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("```") {
            match open.take() {
                Some(block) => blocks.push(block),
                None => {
                    open = Some(Block {
                        info: rest.trim().to_owned(),
                        body: String::new(),
                        line: index + 1,
                    });
                }
            }
            continue;
        }
        if let Some(block) = open.as_mut() {
            block.body.push_str(line);
            block.body.push('\n');
            continue;
        }
        let level = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&level) && line[level..].starts_with(' ') {
            lines.push(Line::Heading(Heading {
                level,
                text: line[level..].trim().to_owned(),
            }));
        } else {
            lines.push(Line::Text(line));
        }
    }
    assert!(open.is_none(), "a code block is never closed");
    Doc { lines, blocks }
}

impl Doc<'_> {
    /// The lines under the level-2 heading `title` (an "N. " prefix is
    /// ignored), up to the next level-2 heading.
    fn section(&self, title: &str) -> &[Line<'_>] {
        let is_h2 = |line: &Line<'_>| matches!(line, Line::Heading(h) if h.level <= 2);
        let start = self
            .lines
            .iter()
            .position(|line| match line {
                Line::Heading(h) if h.level == 2 => {
                    h.text
                        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
                        .trim()
                        == title
                }
                _ => false,
            })
            .unwrap_or_else(|| panic!("no `## {title}` section"));
        let end = self.lines[start + 1..]
            .iter()
            .position(is_h2)
            .map_or(self.lines.len(), |offset| start + 1 + offset);
        &self.lines[start + 1..end]
    }

    /// The names of the `### `name`` headings of a section.
    fn entries(&self, title: &str) -> Vec<String> {
        self.section(title)
            .iter()
            .filter_map(|line| match line {
                Line::Heading(h) if h.level == 3 => h
                    .text
                    .strip_prefix('`')
                    .and_then(|rest| rest.strip_suffix('`'))
                    .map(str::to_owned),
                _ => None,
            })
            .collect()
    }

    fn blocks_labelled<'s>(&'s self, label: &'s str) -> impl Iterator<Item = &'s Block> {
        self.blocks.iter().filter(move |block| block.info == label)
    }
}

/// The wire names serde knows for an internally tagged enum, read from the
/// error it gives for an unknown tag ("expected one of `a`, `b`, …").
fn serde_variants<T: DeserializeOwned + Debug>() -> BTreeSet<String> {
    let error = serde_json::from_str::<T>(r#"{"type":"\u0000"}"#)
        .expect_err("an unknown tag must not decode")
        .to_string();
    let expected = error
        .split_once("expected ")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("unexpected serde error: {error}"));
    let names: BTreeSet<String> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(names.len() > 1, "no variants found in: {error}");
    names
}

/// The wire name of an event. The match is exhaustive: a new variant does
/// not compile until it is named here, then `one_of_each` and the document
/// must follow (the tests below check both).
fn name_of(event: &Event) -> &'static str {
    match event {
        Event::Welcome { .. } => "welcome",
        Event::Entered { .. } => "entered",
        Event::Authenticated { .. } => "authenticated",
        Event::Registered { .. } => "registered",
        Event::AccountChanged { .. } => "account_changed",
        Event::RoomList { .. } => "room_list",
        Event::RoomCounts { .. } => "room_counts",
        Event::RoomAdded { .. } => "room_added",
        Event::RoomUpdated { .. } => "room_updated",
        Event::RoomRemoved { .. } => "room_removed",
        Event::Joined { .. } => "joined",
        Event::Left { .. } => "left",
        Event::MemberJoined { .. } => "member_joined",
        Event::MemberLeft { .. } => "member_left",
        Event::MemberQuit { .. } => "member_quit",
        Event::MemberRole { .. } => "member_role",
        Event::Message(_) => "message",
        Event::Sent { .. } => "sent",
        Event::Mention { .. } => "mention",
        Event::UserList { .. } => "user_list",
        Event::UserInfo { .. } => "user_info",
        Event::Kicked { .. } => "kicked",
        Event::Invited { .. } => "invited",
        Event::Away { .. } => "away",
        Event::RoomMasks { .. } => "room_masks",
        Event::RoomMembers { .. } => "room_members",
        Event::WhowasList { .. } => "whowas_list",
        Event::History { .. } => "history",
        Event::UserOnline { .. } => "user_online",
        Event::UserOffline { .. } => "user_offline",
        Event::Dm(_) => "dm",
        Event::RoomTyping { .. } => "room_typing",
        Event::DmTyping { .. } => "dm_typing",
        Event::DmSeen { .. } => "dm_seen",
        Event::Ok { .. } => "ok",
        Event::Pong { .. } => "pong",
        Event::Error(_) => "error",
        Event::Sanctioned(_) => "sanctioned",
        Event::SanctionRecorded { .. } => "sanction_recorded",
        Event::Wallops { .. } => "wallops",
        Event::Closing { .. } => "closing",
    }
}

/// One value of every event variant.
fn one_of_each() -> Vec<Event> {
    let user = UserSummary {
        id: UserId(7),
        nick: "Alice".into(),
        age: 25,
        gender: tchatche_protocol::Gender::Femme,
        department: tchatche_protocol::Department::parse("75").expect("75 is a département"),
        member: false,
        idle_secs: 0,
        away: Some("au cinéma".into()),
        staff: None,
    };
    let author = Author {
        id: UserId(7),
        nick: "Alice".into(),
        member: true,
    };
    let room = RoomSummary {
        slug: "paris".into(),
        name: "Paris".into(),
        category: "Régions".into(),
        topic: String::new(),
        members: 1,
        flags: RoomFlags::default(),
        user_created: false,
        created_at: 1_768_089_600_000,
        topic_at: 0,
    };
    let message = RoomMessage {
        room: "paris".into(),
        id: MessageId(1),
        author: author.clone(),
        body: "salut".into(),
        at: 0,
        reply: Some(ReplyRef {
            id: MessageId(0),
            nick: "Bob".into(),
            excerpt: "yo".into(),
        }),
        mentions: vec![UserId(8)],
    };
    let member = RoomMember {
        user: user.clone(),
        role: RoomRole::Member,
    };
    vec![
        Event::Welcome {
            protocol: tchatche_protocol::PROTOCOL_VERSION,
            server: "tchatche".into(),
            limits: Limits {
                max_body_chars: 2000,
                max_frame_bytes: 16_384,
                min_age: 15,
                teen_band: true,
            },
        },
        Event::Entered {
            req: Some(1),
            you: user.clone(),
            band: Band::Adult,
            rooms: vec![room.clone()],
        },
        Event::Authenticated {
            req: Some(1),
            account: "Alice".into(),
        },
        Event::Registered {
            req: Some(2),
            you: UserSummary {
                member: true,
                ..user.clone()
            },
            recovery_codes: vec!["K7QF-2M9X-WD3H".into(), "P4TZ-8NBE-6RVA".into()],
        },
        Event::AccountChanged {
            user: author.clone(),
            member: true,
        },
        Event::RoomList {
            req: None,
            rooms: vec![room.clone()],
        },
        Event::RoomCounts {
            counts: vec![RoomCount {
                room: "paris".into(),
                members: 2,
            }],
        },
        Event::RoomAdded { room: room.clone() },
        Event::RoomUpdated { room: room.clone() },
        Event::RoomRemoved {
            room: "paris".into(),
        },
        Event::Joined {
            req: Some(2),
            room,
            members: vec![member.clone()],
            history: vec![message.clone()],
            role: RoomRole::Operator,
        },
        Event::Left {
            req: None,
            room: "paris".into(),
        },
        Event::MemberJoined {
            room: "paris".into(),
            member,
        },
        Event::MemberLeft {
            room: "paris".into(),
            user: UserId(7),
            nick: "Alice".into(),
        },
        Event::MemberQuit {
            user: UserId(7),
            nick: "Alice".into(),
        },
        Event::MemberRole {
            room: "paris".into(),
            user: UserId(7),
            nick: "Alice".into(),
            previous: RoomRole::Member,
            role: RoomRole::Voiced,
        },
        Event::Message(message.clone()),
        Event::Sent {
            req: Some(3),
            id: MessageId(1),
        },
        Event::Mention {
            message: message.clone(),
        },
        Event::UserList {
            req: None,
            users: vec![user.clone()],
            total: 1,
            page: 0,
            page_size: 50,
        },
        Event::UserInfo {
            req: Some(1),
            user: user.clone(),
            rooms: vec!["paris".into()],
        },
        Event::Kicked {
            room: "paris".into(),
            user: Author {
                id: UserId(8),
                nick: "Bob".into(),
                member: false,
            },
            by: author.clone(),
            reason: "spam".into(),
        },
        Event::Invited {
            room: "paris".into(),
            user: Author {
                id: UserId(8),
                nick: "Bob".into(),
                member: false,
            },
            by: author.clone(),
        },
        Event::Away {
            user: author.clone(),
            message: None,
        },
        Event::RoomMembers {
            req: Some(6),
            room: "paris".into(),
            members: vec![RoomMember {
                user: user.clone(),
                role: RoomRole::Operator,
            }],
        },
        Event::RoomMasks {
            req: Some(6),
            room: "paris".into(),
            bans: vec!["troll*".into()],
            invite_exceptions: vec!["Bob".into()],
        },
        Event::WhowasList {
            req: Some(7),
            nick: "bob".into(),
            entries: vec![Departure {
                nick: "Bob".into(),
                age: 31,
                gender: tchatche_protocol::Gender::Homme,
                department: tchatche_protocol::Department::parse("69")
                    .expect("69 is a département"),
                left_at: 1_768_089_600_000,
            }],
        },
        Event::History {
            req: None,
            room: "paris".into(),
            messages: vec![message],
        },
        Event::UserOnline { user },
        Event::UserOffline { user: UserId(7) },
        Event::Dm(DirectMessage {
            id: MessageId(2),
            from: author.clone(),
            to: Author {
                id: UserId(8),
                nick: "Bob".into(),
                member: false,
            },
            body: "coucou".into(),
            at: 0,
        }),
        Event::RoomTyping {
            room: "paris".into(),
            user: author.clone(),
        },
        Event::DmTyping {
            user: author.clone(),
        },
        Event::Sanctioned(tchatche_protocol::SanctionNotice {
            id: tchatche_protocol::SanctionId(7_242_092_544_000_321),
            kind: tchatche_protocol::SanctionKind::Mute,
            reason: "Insultes répétées dans #paris".into(),
            until: Some(1_768_093_200_000),
            address: false,
            appeal: "Écrivez à moderation@example.org".into(),
        }),
        Event::SanctionRecorded {
            req: Some(6),
            id: tchatche_protocol::SanctionId(7_242_092_544_000_321),
            online: true,
        },
        Event::Wallops {
            from: author,
            text: "Raid en cours sur #paris".into(),
        },
        Event::DmSeen {
            by: UserId(8),
            up_to: MessageId(2),
        },
        Event::Ok { req: Some(4) },
        Event::Pong { req: None },
        Event::Error(ErrorEvent::new(Some(5), ErrorCode::SlowMode).with_retry_after_ms(1000)),
        Event::closing(ErrorCode::ShuttingDown),
    ]
}

fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value).expect("serialisable") {
        Value::String(name) => name,
        other => panic!("not a string: {other}"),
    }
}

fn type_of(value: &Value) -> String {
    value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no `type` in {value}"))
        .to_owned()
}

fn parse_json(block: &Block) -> Value {
    serde_json::from_str(&block.body).unwrap_or_else(|error| {
        panic!(
            "PROTOCOL.md line {}: `{}` block is not JSON: {error}",
            block.line, block.info
        )
    })
}

/// Removes `null` members, recursively: a client may leave optional fields out.
fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

#[test]
fn command_types_match_the_command_enum() {
    let listed: BTreeSet<String> = Command::types().map(str::to_owned).collect();
    assert_eq!(
        listed.len(),
        Command::types().count(),
        "a command type is listed twice"
    );
    let families = [
        serde_variants::<tchatche_protocol::AccountCommand>(),
        serde_variants::<tchatche_protocol::RoomCommand>(),
        serde_variants::<tchatche_protocol::RoomAdminCommand>(),
        serde_variants::<tchatche_protocol::PeopleCommand>(),
        serde_variants::<tchatche_protocol::PrivateCommand>(),
        serde_variants::<tchatche_protocol::StaffCommand>(),
    ];
    let mut variants: BTreeSet<String> = families.into_iter().flatten().collect();
    // One-variant families are named by their only type.
    variants.insert("ping".to_owned());
    assert_eq!(listed, variants);
}

#[test]
fn every_command_has_a_section() {
    let text = doc_text();
    let doc = parse(&text);
    let documented = doc.entries("Commands");
    for kind in Command::types() {
        assert!(
            documented.iter().any(|name| name == kind),
            "PROTOCOL.md has no \"### `{kind}`\" under \"## Commands\""
        );
    }
    for name in &documented {
        assert!(
            Command::is_type(name),
            "PROTOCOL.md documents a command `{name}` that does not exist"
        );
    }
    let unique: BTreeSet<_> = documented.iter().collect();
    assert_eq!(
        unique.len(),
        documented.len(),
        "a command is documented twice"
    );
}

#[test]
fn one_of_each_covers_every_event_and_names_them_as_serde_does() {
    let examples = one_of_each();
    let mut names = BTreeSet::new();
    for event in &examples {
        let value = serde_json::to_value(event).expect("serialisable");
        assert_eq!(type_of(&value), name_of(event), "{event:?}");
        assert!(
            names.insert(name_of(event)),
            "two examples of {}",
            name_of(event)
        );
    }
    let names: BTreeSet<String> = names.into_iter().map(str::to_owned).collect();
    assert_eq!(
        names,
        serde_variants::<Event>(),
        "one_of_each misses a variant"
    );
}

#[test]
fn every_event_has_a_section() {
    let text = doc_text();
    let doc = parse(&text);
    let documented = doc.entries("Events");
    let names: Vec<&str> = one_of_each().iter().map(name_of).collect();
    for name in &names {
        assert!(
            documented.iter().any(|documented| documented == name),
            "PROTOCOL.md has no \"### `{name}`\" under \"## Events\""
        );
    }
    for name in &documented {
        assert!(
            names.contains(&name.as_str()),
            "PROTOCOL.md documents an event `{name}` that does not exist"
        );
    }
    let unique: BTreeSet<_> = documented.iter().collect();
    assert_eq!(
        unique.len(),
        documented.len(),
        "an event is documented twice"
    );
}

#[test]
fn every_error_code_is_in_the_table_with_its_texts() {
    let text = doc_text();
    let doc = parse(&text);
    // code → (French, English), from rows `| `code` | when | fr | en |`.
    let mut rows: BTreeMap<String, (String, String)> = BTreeMap::new();
    for line in doc.section("Error codes") {
        let Line::Text(line) = line else { continue };
        let Some(inner) = line
            .trim()
            .strip_prefix('|')
            .and_then(|rest| rest.strip_suffix('|'))
        else {
            continue;
        };
        let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
        let Some(code) = cells
            .first()
            .and_then(|cell| cell.strip_prefix('`'))
            .and_then(|cell| cell.strip_suffix('`'))
        else {
            continue;
        };
        assert_eq!(cells.len(), 4, "error table row for `{code}`: {line}");
        let previous = rows.insert(code.to_owned(), (cells[2].to_owned(), cells[3].to_owned()));
        assert!(previous.is_none(), "`{code}` is in the error table twice");
    }
    for code in ErrorCode::ALL {
        let name = wire_name(code);
        let Some((fr, en)) = rows.remove(&name) else {
            panic!("PROTOCOL.md's error table has no row for `{name}`");
        };
        assert_eq!(fr, code.message_fr(), "French text of `{name}`");
        assert_eq!(en, code.message_en(), "English text of `{name}`");
    }
    assert!(
        rows.is_empty(),
        "the error table lists unknown codes: {:?}",
        rows.keys().collect::<Vec<_>>()
    );
}

#[test]
fn json_blocks_are_all_labelled() {
    let text = doc_text();
    let doc = parse(&text);
    for block in &doc.blocks {
        let info = block.info.as_str();
        if info == "json" || info.starts_with("json ") {
            assert!(
                info == "json command" || info == "json event" || info.starts_with("json object "),
                "PROTOCOL.md line {}: unchecked JSON block `{info}`: label it \
                 `json command`, `json event` or `json object <Type>`",
                block.line
            );
        }
    }
}

#[test]
fn command_examples_decode() {
    let text = doc_text();
    let doc = parse(&text);
    let mut seen = BTreeSet::new();
    for block in doc.blocks_labelled("json command") {
        let written = parse_json(block);
        let request = decode_request(block.body.trim().as_bytes()).unwrap_or_else(|error| {
            panic!(
                "PROTOCOL.md line {}: command refused: {error:?}",
                block.line
            )
        });
        // Unknown fields would be ignored by the decoder: compare the example
        // with what the decoded request says, so a misspelt field fails.
        let decoded = serde_json::to_value(&request).expect("serialisable");
        assert_eq!(
            strip_nulls(decoded),
            strip_nulls(written.clone()),
            "PROTOCOL.md line {}: the example does not survive decoding",
            block.line
        );
        seen.insert(type_of(&written));
    }
    for kind in Command::types() {
        assert!(
            seen.contains(kind),
            "PROTOCOL.md has no `json command` example of `{kind}`"
        );
    }
}

#[test]
fn event_examples_deserialize() {
    let text = doc_text();
    let doc = parse(&text);
    let mut seen = BTreeSet::new();
    for block in doc.blocks_labelled("json event") {
        let written = parse_json(block);
        let event: Event = serde_json::from_value(written.clone()).unwrap_or_else(|error| {
            panic!("PROTOCOL.md line {}: not an event: {error}", block.line)
        });
        // The example must be exactly what the server would send.
        assert_eq!(
            serde_json::to_value(&event).expect("serialisable"),
            written,
            "PROTOCOL.md line {}: the server would send this event differently",
            block.line
        );
        let texts = match &event {
            Event::Error(error) => Some((error.code, &error.message_fr, &error.message_en)),
            Event::Closing {
                reason,
                message_fr,
                message_en,
            } => Some((*reason, message_fr, message_en)),
            _ => None,
        };
        if let Some((code, fr, en)) = texts {
            assert_eq!(fr, code.message_fr(), "PROTOCOL.md line {}", block.line);
            assert_eq!(en, code.message_en(), "PROTOCOL.md line {}", block.line);
        }
        seen.insert(name_of(&event));
    }
    for event in one_of_each() {
        let name = name_of(&event);
        assert!(
            seen.contains(name),
            "PROTOCOL.md has no `json event` example of `{name}`"
        );
    }
}

/// Decodes `value` as a `T` and checks it encodes back to the same JSON.
fn round_trip<T: Serialize + DeserializeOwned>(value: &Value) -> Result<(), String> {
    let decoded: T = serde_json::from_value(value.clone()).map_err(|error| error.to_string())?;
    let encoded = serde_json::to_value(&decoded).map_err(|error| error.to_string())?;
    if &encoded == value {
        Ok(())
    } else {
        Err(format!("encodes back as {encoded}"))
    }
}

#[test]
fn object_examples_deserialize() {
    let text = doc_text();
    let doc = parse(&text);
    let mut count = 0;
    for block in &doc.blocks {
        let Some(kind) = block.info.strip_prefix("json object ") else {
            continue;
        };
        let value = parse_json(block);
        let outcome = match kind.trim() {
            "UserSummary" => round_trip::<UserSummary>(&value),
            "RoomSummary" => round_trip::<RoomSummary>(&value),
            "RoomFlags" => round_trip::<RoomFlags>(&value),
            "RoomMember" => round_trip::<RoomMember>(&value),
            "RoomMessage" => round_trip::<RoomMessage>(&value),
            "ReplyRef" => round_trip::<ReplyRef>(&value),
            "DirectMessage" => round_trip::<DirectMessage>(&value),
            "Author" => round_trip::<Author>(&value),
            "Limits" => round_trip::<Limits>(&value),
            "RoomCount" => round_trip::<RoomCount>(&value),
            "Departure" => round_trip::<Departure>(&value),
            other => Err(format!("no such shared object `{other}`")),
        };
        if let Err(error) = outcome {
            panic!("PROTOCOL.md line {}: `{}`: {error}", block.line, block.info);
        }
        count += 1;
    }
    assert!(count >= 11, "the shared objects lost their examples");
}

/// GitHub's heading anchor: lower case, spaces to `-`, punctuation dropped.
fn anchor_of(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn internal_links_point_to_headings() {
    let text = doc_text();
    let doc = parse(&text);
    let mut anchors = BTreeSet::new();
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for line in &doc.lines {
        if let Line::Heading(heading) = line {
            let base = anchor_of(&heading.text);
            let n = uses.entry(base.clone()).or_insert(0);
            anchors.insert(if *n == 0 {
                base.clone()
            } else {
                format!("{base}-{n}")
            });
            *n += 1;
        }
    }
    for line in &doc.lines {
        let Line::Text(line) = line else { continue };
        for (index, _) in line.match_indices("](#") {
            let target = line[index + 3..].split(')').next().unwrap_or_default();
            assert!(
                anchors.contains(target),
                "PROTOCOL.md links to #{target}, which is no heading: {line}"
            );
        }
    }
}
