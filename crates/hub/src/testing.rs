//! A hub test harness without sockets: a real hub on its own task, driven
//! through the same handle the transports use, with people who send
//! commands and read the events they get, on tokio's paused clock (time
//! moves only when every task waits, so timers are exact and tests never
//! sleep). Helpers read like the story: `let alice = hub.guest("Alice",
//! 25).await; alice.join("paris").await;`.
//!
//! Then the hub's own tests: entry, rooms, people and the speech pipeline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tchatche_protocol::{
    AccountCommand, Command, Enter, ErrorCode, Event, Gender, LinkCommand, PROTOCOL_VERSION,
    PeopleCommand, PrivateCommand, RoomAdminCommand, RoomCommand, Say, UserId,
};

use crate::handle::{Connection, ConnectionInfo, Transport};
use crate::outbox::{Next, OutboxReceiver, Outgoing};
use crate::{HubHandle, HubSettings};

/// How long to wait for an expected event (paused time: only reached when
/// the event will never come).
const WAIT: Duration = Duration::from_secs(30);

/// A hub for one test.
pub(crate) struct TestHub {
    handle: HubHandle,
}

impl TestHub {
    /// A hub with the default configuration, no storage.
    pub async fn start() -> TestHub {
        TestHub::start_with(|_| {}, None).await
    }

    /// A hub with a changed configuration and, if given, a test rule
    /// standing for the filters to come (see `Hub::test_rule`).
    pub async fn start_with(
        change: impl FnOnce(&mut tchatche_config::Config),
        rule: Option<fn(&str) -> Option<tchatche_safety::Verdict>>,
    ) -> TestHub {
        let mut config = tchatche_config::Config::default();
        config.accounts.argon2_memory_kib = 1024;
        config.accounts.argon2_iterations = 1;
        change(&mut config);
        let settings = Arc::new(HubSettings::from_config(&config));
        let bus = tchatche_bus::LocalBus::new();
        let mut hub = crate::state::Hub::new(crate::state::Beginning {
            settings,
            store: None,
            history: crate::history::HistoryWrites::new(None, None),
            accounts: None,
            staff: None,
            bus: Box::new(bus.attach(0)),
        })
        .await
        .expect("the hub starts");
        hub.test_rule = rule;
        let (handle, _task) = crate::launch(hub);
        TestHub { handle }
    }

    /// A connection that has read its `welcome`, from this address.
    pub async fn connect_from(&self, address: [u8; 4]) -> Person {
        let mut connection = self
            .handle
            .connect(ConnectionInfo {
                peer: (address, 40_000).into(),
                transport: Transport::WebSocket,
            })
            .expect("the hub runs");
        let outbox = connection.take_receiver().expect("the queue");
        let mut person = Person {
            connection,
            outbox,
            inbox: VecDeque::new(),
            unread: VecDeque::new(),
            next_req: 1,
            id: UserId(0),
            nick: String::new(),
        };
        let welcome = person.next().await;
        assert!(matches!(welcome, Event::Welcome { .. }), "{welcome:?}");
        person
    }

    /// A guest who entered with this nickname and age (homme, Paris),
    /// from 192.0.2.1.
    pub async fn guest(&self, nick: &str, age: u32) -> Person {
        self.guest_from(nick, age, [192, 0, 2, 1]).await
    }

    /// A guest entered from `address`.
    pub async fn guest_from(&self, nick: &str, age: u32, address: [u8; 4]) -> Person {
        let mut person = self.connect_from(address).await;
        match person.request(enter(nick, age)).await {
            Event::Entered { you, .. } => {
                person.id = you.id;
                person.nick = you.nick;
            }
            other => panic!("{nick} could not enter: {other:?}"),
        }
        person
    }
}

/// `enter` for a guest (homme, Paris).
pub(crate) fn enter(nick: &str, age: u32) -> Command {
    Command::Account(AccountCommand::Enter(Enter {
        protocol: PROTOCOL_VERSION,
        nickname: nick.to_owned(),
        age: Some(age),
        gender: Some(Gender::Homme),
        department: Some("75".to_owned()),
        ..Enter::default()
    }))
}

/// Someone connected to a [`TestHub`].
pub(crate) struct Person {
    connection: Connection,
    outbox: OutboxReceiver,
    /// Events looked at and skipped while waiting for another one, in
    /// arrival order.
    inbox: VecDeque<Event>,
    /// Events taken from the queue and not looked at yet.
    unread: VecDeque<Event>,
    next_req: u32,
    pub id: UserId,
    pub nick: String,
}

impl Person {
    /// Sends a command with a fresh `req`; returns it.
    pub async fn send(&mut self, command: Command) -> u32 {
        let req = self.next_req;
        self.next_req += 1;
        self.connection
            .request(Some(req), command)
            .await
            .expect("the hub runs");
        req
    }

    /// Sends a command and returns its answer.
    pub async fn request(&mut self, command: Command) -> Event {
        let req = self.send(command).await;
        self.expect("the answer", |event| event.req() == Some(req))
            .await
    }

    /// Sends a command whose answer must be a refusal with `code`.
    pub async fn refused(&mut self, command: Command, code: ErrorCode) -> Event {
        let answer = self.request(command).await;
        assert!(
            matches!(&answer, Event::Error(error) if error.code == code),
            "{}: expected {code:?}, got {answer:?}",
            self.nick
        );
        answer
    }

    /// Joins a room of my band.
    pub async fn join(&mut self, room: &str) -> Event {
        let answer = self
            .request(Command::Room(RoomCommand::Join {
                room: room.to_owned(),
                key: None,
                create: None,
            }))
            .await;
        assert!(matches!(answer, Event::Joined { .. }), "{answer:?}");
        answer
    }

    /// Says something in a room; returns the answer (`sent` or a refusal).
    pub async fn say(&mut self, room: &str, body: &str) -> Event {
        self.request(Command::Room(RoomCommand::Say(Say {
            room: room.to_owned(),
            body: body.to_owned(),
            reply_to: None,
        })))
        .await
    }

    /// The next event: one skipped earlier, or a new one.
    pub async fn next(&mut self) -> Event {
        if let Some(event) = self.inbox.pop_front() {
            return event;
        }
        self.read().await
    }

    async fn read(&mut self) -> Event {
        if let Some(event) = self.unread.pop_front() {
            return event;
        }
        let mut batch: Vec<Outgoing> = Vec::new();
        loop {
            let next = tokio::time::timeout(WAIT, self.outbox.next(&mut batch, 64))
                .await
                .unwrap_or_else(|_| panic!("{}: nothing came", self.nick));
            match next {
                Next::Frames => {
                    let mut events = batch.drain(..).map(|frame| frame.event().clone());
                    let first = events.next().expect("at least one frame");
                    self.unread.extend(events);
                    return first;
                }
                Next::Close(reason) => return Event::closing(reason),
                Next::Ended => panic!("{}: the hub ended the connection", self.nick),
                Next::Tick => {}
            }
        }
    }

    /// The first event that matches; the others stay for later.
    pub async fn expect(&mut self, what: &str, mut matches: impl FnMut(&Event) -> bool) -> Event {
        if let Some(position) = self.inbox.iter().position(&mut matches) {
            return self.inbox.remove(position).expect("a valid position");
        }
        loop {
            let event = self.read().await;
            if matches(&event) {
                return event;
            }
            assert!(
                !matches!(event, Event::Closing { .. }),
                "{}: closed waiting for {what}",
                self.nick
            );
            self.inbox.push_back(event);
        }
    }

    /// Every event until the answer to a `ping` sent now: the hub handles
    /// everything in order, so whatever earlier steps caused is among them.
    pub async fn until_pong(&mut self) -> Vec<Event> {
        let req = self.send(Command::Link(LinkCommand::Ping {})).await;
        let mut seen: Vec<Event> = self.inbox.drain(..).collect();
        loop {
            let event = self.read().await;
            if matches!(event, Event::Pong { req: Some(r) } if r == req) {
                return seen;
            }
            seen.push(event);
        }
    }
}

mod entry {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn guests_enter_in_their_band_and_nicknames_fold() {
        let hub = TestHub::start().await;
        let mut ado = hub.connect_from([192, 0, 2, 5]).await;
        match ado.request(enter("Ado", 16)).await {
            Event::Entered { band, you, .. } => {
                assert_eq!(band, tchatche_protocol::Band::Teen);
                assert_eq!(you.age, 16);
            }
            other => panic!("{other:?}"),
        }
        let mut other = hub.connect_from([192, 0, 2, 6]).await;
        // Case is folded: the same nickname.
        other
            .refused(enter("ADO", 30), ErrorCode::NicknameTaken)
            .await;
        other
            .refused(enter("Petit", 12), ErrorCode::AgeTooYoung)
            .await;
        let mut missing = Enter {
            protocol: PROTOCOL_VERSION,
            nickname: "Sansage".into(),
            ..Enter::default()
        };
        let refusal = other
            .refused(
                Command::Account(AccountCommand::Enter(missing.clone())),
                ErrorCode::MissingField,
            )
            .await;
        assert!(matches!(refusal, Event::Error(error) if error.detail.as_deref() == Some("age")));
        missing.protocol = PROTOCOL_VERSION + 1;
        other
            .refused(
                Command::Account(AccountCommand::Enter(missing)),
                ErrorCode::ProtocolVersion,
            )
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_command_before_entry_is_refused() {
        let hub = TestHub::start().await;
        let mut someone = hub.connect_from([192, 0, 2, 7]).await;
        someone
            .refused(
                Command::Room(RoomCommand::ListRooms {}),
                ErrorCode::NotEntered,
            )
            .await;
    }
}

mod rooms {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_message_reaches_the_room_before_its_author_hears_sent() {
        let hub = TestHub::start().await;
        let mut alice = hub.guest("Alice", 25).await;
        let mut bob = hub.guest("Bob", 30).await;
        alice.join("paris").await;
        bob.join("paris").await;
        let req = alice
            .send(Command::Room(RoomCommand::Say(Say {
                room: "paris".into(),
                body: "Salut".into(),
                reply_to: None,
            })))
            .await;
        let events = alice.until_pong().await;
        let message = events
            .iter()
            .position(|event| matches!(event, Event::Message(m) if m.body == "Salut"))
            .expect("her own message");
        let sent = events
            .iter()
            .position(|event| matches!(event, Event::Sent { req: Some(r), .. } if *r == req))
            .expect("sent (no store: at once)");
        assert!(message < sent, "{events:?}");
        bob.expect(
            "the message",
            |event| matches!(event, Event::Message(m) if m.body == "Salut"),
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn joining_a_new_room_with_create_makes_it_once() {
        let hub = TestHub::start().await;
        let mut alice = hub.guest("Alice", 25).await;
        let mut bob = hub.guest("Bob", 30).await;
        let join = |room: &str| {
            Command::Room(RoomCommand::Join {
                room: room.to_owned(),
                key: None,
                create: Some(true),
            })
        };
        let first = alice.request(join("Mots croisés")).await;
        assert!(
            matches!(&first, Event::Joined { room, role, .. }
                if room.slug == "mots-croises" && *role == tchatche_protocol::RoomRole::Operator),
            "{first:?}"
        );
        // Another spelling of the same name joins the same room.
        let second = bob.request(join("MOTS CROISES")).await;
        assert!(
            matches!(&second, Event::Joined { room, role, .. }
                if room.slug == "mots-croises" && *role == tchatche_protocol::RoomRole::Member),
            "{second:?}"
        );
        bob.refused(join("x"), ErrorCode::RoomNameInvalid).await;
    }

    #[tokio::test(start_paused = true)]
    async fn slow_mode_says_when_to_try_again_on_the_paused_clock() {
        let hub = TestHub::start().await;
        let mut alice = hub.guest("Alice", 25).await;
        let created = alice
            .request(Command::Room(RoomCommand::CreateRoom {
                name: "Lent".into(),
                topic: None,
            }))
            .await;
        assert!(matches!(created, Event::Joined { .. }), "{created:?}");
        let set = alice
            .request(Command::RoomAdmin(RoomAdminCommand::SetRoom(
                tchatche_protocol::SetRoom {
                    room: "lent".into(),
                    slow_mode_secs: Some(10),
                    ..Default::default()
                },
            )))
            .await;
        assert!(matches!(set, Event::Ok { .. }), "{set:?}");
        assert!(matches!(alice.say("lent", "un").await, Event::Sent { .. }));
        let early = alice.say("lent", "deux").await;
        let Event::Error(error) = early else {
            panic!("{early:?}")
        };
        assert_eq!(error.code, ErrorCode::SlowMode);
        assert_eq!(error.retry_after_ms, Some(10_000));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(matches!(
            alice.say("lent", "deux").await,
            Event::Sent { .. }
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_kick_tells_the_room_and_the_one_kicked_and_a_room_dies_empty() {
        let hub = TestHub::start().await;
        let mut alice = hub.guest("Alice", 25).await;
        let mut bob = hub.guest("Bob", 30).await;
        alice
            .request(Command::Room(RoomCommand::CreateRoom {
                name: "Club".into(),
                topic: None,
            }))
            .await;
        bob.join("club").await;
        let kicked = alice
            .request(Command::RoomAdmin(RoomAdminCommand::Kick {
                room: "club".into(),
                user: bob.id,
                reason: Some("hors sujet".into()),
            }))
            .await;
        assert!(matches!(kicked, Event::Ok { .. }), "{kicked:?}");
        bob.expect("the kick", |event| {
            matches!(event, Event::Kicked { user, reason, .. } if user.id == bob_id(event) && reason == "hors sujet")
        })
        .await;
        let left = alice
            .request(Command::Room(RoomCommand::Leave {
                room: "club".into(),
            }))
            .await;
        assert!(matches!(left, Event::Left { .. }), "{left:?}");
        bob.expect(
            "the room's end",
            |event| matches!(event, Event::RoomRemoved { room } if room == "club"),
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn entry_rules_of_a_room_come_in_order_and_an_invitation_passes_two() {
        let hub = TestHub::start().await;
        let mut chef = hub.guest("Chef", 40).await;
        let mut zoe = hub.guest("Zoe", 30).await;
        chef.request(Command::Room(RoomCommand::CreateRoom {
            name: "Club".into(),
            topic: None,
        }))
        .await;
        let set = chef
            .request(Command::RoomAdmin(RoomAdminCommand::SetRoom(
                tchatche_protocol::SetRoom {
                    room: "club".into(),
                    invite_only: Some(true),
                    key: Some("secret".into()),
                    ..Default::default()
                },
            )))
            .await;
        assert!(matches!(set, Event::Ok { .. }), "{set:?}");
        let join = |key: Option<&str>| {
            Command::Room(RoomCommand::Join {
                room: "club".into(),
                key: key.map(str::to_owned),
                create: None,
            })
        };
        zoe.refused(join(Some("secret")), ErrorCode::InviteOnly)
            .await;
        let invited = chef
            .request(Command::RoomAdmin(RoomAdminCommand::Invite {
                room: "club".into(),
                user: zoe.id,
            }))
            .await;
        assert!(matches!(invited, Event::Ok { .. }), "{invited:?}");
        zoe.expect(
            "the invitation",
            |event| matches!(event, Event::Invited { room, .. } if room == "club"),
        )
        .await;
        // Invited: neither invite-only nor the key stops her.
        assert!(matches!(
            zoe.request(join(None)).await,
            Event::Joined { .. }
        ));
        // Used up by joining.
        zoe.request(Command::Room(RoomCommand::Leave {
            room: "club".into(),
        }))
        .await;
        zoe.refused(join(Some("secret")), ErrorCode::InviteOnly)
            .await;
        // A ban mask comes first, invitation or not.
        let banned = chef
            .request(Command::RoomAdmin(RoomAdminCommand::Ban {
                room: "club".into(),
                mask: "zo*".into(),
                on: true,
            }))
            .await;
        assert!(matches!(banned, Event::Ok { .. }), "{banned:?}");
        chef.request(Command::RoomAdmin(RoomAdminCommand::Invite {
            room: "club".into(),
            user: zoe.id,
        }))
        .await;
        zoe.refused(join(None), ErrorCode::BannedFromRoom).await;
    }

    /// The kicked person's id in a `kicked` event.
    fn bob_id(event: &Event) -> UserId {
        match event {
            Event::Kicked { user, .. } => user.id,
            _ => UserId(0),
        }
    }
}

mod people {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_bands_never_see_each_other() {
        let hub = TestHub::start().await;
        let mut adult = hub.guest("Adulte", 30).await;
        let teen = hub.guest("Ado", 16).await;
        adult
            .refused(
                Command::People(PeopleCommand::Whois { nick: "Ado".into() }),
                ErrorCode::UserNotFound,
            )
            .await;
        adult
            .refused(
                Command::Private(PrivateCommand::Dm {
                    to: teen.id,
                    body: "salut".into(),
                }),
                ErrorCode::UserNotFound,
            )
            .await;
        adult
            .refused(
                Command::Private(PrivateCommand::DmTyping { to: teen.id }),
                ErrorCode::UserNotFound,
            )
            .await;
        match adult
            .request(Command::People(PeopleCommand::Users(
                tchatche_protocol::UserQuery::default(),
            )))
            .await
        {
            Event::UserList { users, .. } => {
                assert!(users.iter().all(|user| user.nick != "Ado"), "{users:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_user_list_filters_and_an_away_message_reaches_room_peers_once() {
        let hub = TestHub::start().await;
        let mut alice = hub.guest("Alice", 25).await;
        let mut bob = hub.guest("Bob", 52).await;
        alice.join("paris").await;
        alice.join("lyon").await;
        bob.join("paris").await;
        bob.join("lyon").await;
        let query = tchatche_protocol::UserQuery {
            age_min: Some(40),
            ..Default::default()
        };
        match alice
            .request(Command::People(PeopleCommand::Users(query)))
            .await
        {
            Event::UserList { users, total, .. } => {
                assert_eq!(total, 1);
                assert_eq!(users[0].nick, "Bob");
            }
            other => panic!("{other:?}"),
        }
        let away = bob
            .request(Command::People(PeopleCommand::SetAway {
                message: Some("au travail".into()),
            }))
            .await;
        assert!(matches!(away, Event::Ok { .. }), "{away:?}");
        let seen = alice.until_pong().await;
        let notices = seen
            .iter()
            .filter(
                |event| matches!(event, Event::Away { message: Some(m), .. } if m == "au travail"),
            )
            .count();
        assert_eq!(notices, 1, "two rooms shared, one notice: {seen:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn seen_goes_back_only_within_a_conversation() {
        let hub = TestHub::start().await;
        let mut alice = hub.guest("Alice", 25).await;
        let mut bob = hub.guest("Bob", 30).await;
        let seen = |with: UserId| {
            Command::Private(PrivateCommand::DmSeen {
                with,
                up_to: tchatche_protocol::MessageId(1),
            })
        };
        bob.refused(seen(alice.id), ErrorCode::NoConversation).await;
        let sent = alice
            .request(Command::Private(PrivateCommand::Dm {
                to: bob.id,
                body: "coucou".into(),
            }))
            .await;
        assert!(matches!(sent, Event::Sent { .. }), "{sent:?}");
        bob.expect(
            "the DM",
            |event| matches!(event, Event::Dm(m) if m.body == "coucou"),
        )
        .await;
        assert!(matches!(
            bob.request(seen(alice.id)).await,
            Event::Ok { .. }
        ));
        alice
            .expect("seen", |event| matches!(event, Event::DmSeen { .. }))
            .await;
    }
}

mod pipeline {
    use tchatche_safety::Verdict;

    use super::*;

    /// Stands for a filter: masks "merde", holds "rdv", flags "argent".
    fn rule(text: &str) -> Option<Verdict> {
        if text.contains("merde") {
            Some(Verdict::Mask(text.replace("merde", "*****")))
        } else if text.contains("rdv") {
            Some(Verdict::Hold)
        } else if text.contains("argent") {
            Some(Verdict::Flag)
        } else {
            None
        }
    }

    async fn two_in_paris() -> (TestHub, Person, Person) {
        let hub = TestHub::start_with(|_| {}, Some(rule)).await;
        let mut alice = hub.guest("Alice", 25).await;
        let mut bob = hub.guest("Bob", 30).await;
        alice.join("paris").await;
        bob.join("paris").await;
        (hub, alice, bob)
    }

    #[tokio::test(start_paused = true)]
    async fn a_masked_message_is_what_everyone_sees_the_author_too() {
        let (_hub, mut alice, mut bob) = two_in_paris().await;
        assert!(matches!(
            alice.say("paris", "oh merde").await,
            Event::Sent { .. }
        ));
        for person in [&mut alice, &mut bob] {
            person
                .expect(
                    "the masked message",
                    |event| matches!(event, Event::Message(m) if m.body == "oh *****"),
                )
                .await;
        }
        let seen = bob.until_pong().await;
        assert!(
            !seen
                .iter()
                .any(|event| matches!(event, Event::Message(m) if m.body.contains("merde"))),
            "{seen:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_message_reaches_nobody_and_its_author_is_told() {
        let (_hub, mut alice, mut bob) = two_in_paris().await;
        let held = alice.say("paris", "rdv ce soir ?").await;
        assert!(
            matches!(&held, Event::Error(error) if error.code == ErrorCode::MessageHeld),
            "{held:?}"
        );
        for person in [&mut alice, &mut bob] {
            let seen = person.until_pong().await;
            assert!(
                !seen.iter().any(|event| matches!(event, Event::Message(_))),
                "{seen:?}"
            );
        }
        // Held texts go through the same pipeline everywhere: an away
        // message too.
        alice
            .refused(
                Command::People(PeopleCommand::SetAway {
                    message: Some("rdv au parc".into()),
                }),
                ErrorCode::MessageHeld,
            )
            .await;
        alice
            .refused(
                Command::Private(PrivateCommand::Dm {
                    to: bob.id,
                    body: "rdv ?".into(),
                }),
                ErrorCode::MessageHeld,
            )
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_flagged_message_is_delivered_as_said() {
        let (_hub, mut alice, mut bob) = two_in_paris().await;
        assert!(matches!(
            alice.say("paris", "envoie de l'argent").await,
            Event::Sent { .. }
        ));
        bob.expect(
            "the message",
            |event| matches!(event, Event::Message(m) if m.body == "envoie de l'argent"),
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_topic_goes_through_the_pipeline_like_a_message() {
        let (_hub, mut alice, _bob) = two_in_paris().await;
        let created = alice
            .request(Command::Room(RoomCommand::CreateRoom {
                name: "Coin".into(),
                topic: Some("merde alors".into()),
            }))
            .await;
        match created {
            Event::Joined { room, .. } => assert_eq!(room.topic, "***** alors"),
            other => panic!("{other:?}"),
        }
        alice
            .refused(
                Command::RoomAdmin(RoomAdminCommand::SetRoom(tchatche_protocol::SetRoom {
                    room: "coin".into(),
                    topic: Some("rdv ici".into()),
                    ..Default::default()
                })),
                ErrorCode::MessageHeld,
            )
            .await;
    }
}

mod review {
    use tchatche_safety::Verdict;

    use crate::review::Verdict as Review;

    /// Held and flagged texts land in the review queue with their context;
    /// checked on the hub itself (the console that reads it is to come).
    #[tokio::test(start_paused = true)]
    async fn held_and_flagged_texts_wait_with_their_context() {
        fn rule(text: &str) -> Option<Verdict> {
            match text {
                "à retenir" => Some(Verdict::Hold),
                "à signaler" => Some(Verdict::Flag),
                _ => None,
            }
        }
        let settings = std::sync::Arc::new(crate::HubSettings::from_config(
            &tchatche_config::Config::default(),
        ));
        let bus = tchatche_bus::LocalBus::new();
        let mut hub = crate::state::Hub::new(crate::state::Beginning {
            settings,
            store: None,
            history: crate::history::HistoryWrites::new(None, None),
            accounts: None,
            staff: None,
            bus: Box::new(bus.attach(0)),
        })
        .await
        .unwrap();
        hub.test_rule = Some(rule);
        let (outbox, _receiver) = crate::outbox::outbox(64);
        let alice = tchatche_protocol::UserId(1);
        hub.on_control(crate::handle::Control::Open {
            id: alice,
            outbox,
            info: crate::handle::ConnectionInfo {
                peer: ([192, 0, 2, 1], 4000).into(),
                transport: crate::handle::Transport::WebSocket,
            },
        });
        let mut step = |command| {
            hub.on_request(crate::handle::Request {
                id: alice,
                req: Some(1),
                command,
            });
            hub.settle();
        };
        step(super::enter("Alice", 25));
        step(tchatche_protocol::Command::Room(
            tchatche_protocol::RoomCommand::Join {
                room: "paris".into(),
                key: None,
                create: None,
            },
        ));
        for body in ["bonjour", "à retenir", "à signaler"] {
            step(tchatche_protocol::Command::Room(
                tchatche_protocol::RoomCommand::Say(tchatche_protocol::Say {
                    room: "paris".into(),
                    body: body.into(),
                    reply_to: None,
                }),
            ));
        }
        let waiting: Vec<_> = hub.review.waiting().collect();
        assert_eq!(waiting.len(), 2);
        assert_eq!(waiting[0].verdict, Review::Held);
        assert_eq!(waiting[0].text, "à retenir");
        assert_eq!(waiting[0].speech, "room_message");
        assert_eq!(waiting[0].place, "paris");
        // The held text was never in the room: its context is what came before.
        assert_eq!(
            waiting[0]
                .context
                .iter()
                .map(|line| line.text.as_str())
                .collect::<Vec<_>>(),
            ["bonjour"]
        );
        assert_eq!(waiting[1].verdict, Review::Flagged);
        assert_eq!(waiting[1].context.len(), 1, "the held one is not context");
        assert_eq!(waiting[1].author.nick, "Alice");
    }
}

mod review_store {
    use std::sync::Arc;

    use tchatche_safety::Verdict;
    use tchatche_store::ReviewStore;

    use super::*;

    /// A held text is written to the database with its evidence, off the
    /// hub's task, and is there once the hub has stopped.
    #[tokio::test]
    async fn a_held_text_is_recorded_in_the_store_with_its_context() {
        fn rule(text: &str) -> Option<Verdict> {
            (text == "à retenir").then_some(Verdict::Hold)
        }
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(tchatche_store::SqliteStore::open(dir.path()).await.unwrap());
        let settings = Arc::new(HubSettings::from_config(&tchatche_config::Config::default()));
        let bus = tchatche_bus::LocalBus::new();
        let mut hub = crate::state::Hub::new(crate::state::Beginning {
            settings,
            store: None,
            history: crate::history::HistoryWrites::new(None, None),
            accounts: None,
            staff: Some(crate::StaffStores {
                sanctions: store.clone(),
                audit: store.clone(),
                reviews: Some(store.clone()),
            }),
            bus: Box::new(bus.attach(0)),
        })
        .await
        .unwrap();
        hub.test_rule = Some(rule);
        let (handle, task) = crate::launch(hub);
        let test_hub = TestHub {
            handle: handle.clone(),
        };
        let mut alice = test_hub.guest("Alice", 25).await;
        alice.join("paris").await;
        assert!(matches!(
            alice.say("paris", "bonjour").await,
            Event::Sent { .. }
        ));
        let held = alice.say("paris", "à retenir").await;
        assert!(
            matches!(&held, Event::Error(error) if error.code == ErrorCode::MessageHeld),
            "{held:?}"
        );
        handle.shutdown().await;
        task.await.unwrap();
        let pending = store.pending_reviews(10).await.unwrap();
        assert_eq!(pending.len(), 1, "{pending:?}");
        let review = &pending[0];
        assert_eq!(
            (
                review.verdict.as_str(),
                review.speech.as_str(),
                review.place.as_str(),
                review.text.as_str(),
                review.author_nick.as_str(),
                review.band.as_str()
            ),
            (
                "held",
                "room_message",
                "paris",
                "à retenir",
                "Alice",
                "adult"
            )
        );
        assert_eq!(
            review
                .context
                .iter()
                .map(|line| line.text.as_str())
                .collect::<Vec<_>>(),
            ["bonjour"]
        );
    }
}
