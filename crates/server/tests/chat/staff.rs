//! Site staff and site-wide sanctions, across both transports: a moderator
//! on the web or on IRC warns, mutes, kicks (IRC `KILL`) and bans; the
//! person gets a statement of reasons and the sanction holds at once,
//! across reconnections and restarts; staff talk to each other with
//! `WALLOPS`; every staff action lands in the hash-chained audit log.

use serde_json::json;
use tchatche_protocol::{Event, SanctionId, SanctionKind, StaffRole};
use tchatche_store::{AuditEntry, AuditStore, SqliteStore};

use crate::support::{Client, IrcClient, TestServer, cheap_hashing_server, error_code};

const PASSWORD: &str = "le phare éclaire la baie 7";

/// A server whose configuration names `Vigie` moderator and `Gardien`
/// administrator; both registered before the restart that lists them
/// (staff nicknames must be registered before they are listed).
async fn staff_server() -> TestServer {
    let server = cheap_hashing_server().await;
    for nick in ["Vigie", "Gardien"] {
        let (client, _) = server.member(nick, 40, PASSWORD).await;
        drop(client);
    }
    server
        .restart_with(|config| {
            config.staff.moderators = vec!["vigie".into()];
            config.staff.administrators = vec!["GARDIEN".into(), "Fantome".into()];
            config.staff.appeal = "Appel : moderation@example.org".into();
        })
        .await
}

/// An IRC user logged in as a member with `PASS account:password`.
async fn irc_member(server: &TestServer, nick: &str) -> IrcClient {
    let mut client = server.irc().await;
    client.nick = nick.to_owned();
    client.send(&format!("PASS :{nick}:{PASSWORD}")).await;
    client.send(&format!("NICK {nick}")).await;
    client.send(&format!("USER {nick} 0 * :{nick}")).await;
    client.numeric("001").await;
    client
}

async fn sanction(staff: &mut Client, command: serde_json::Value) -> SanctionId {
    match staff.request(command).await {
        Event::SanctionRecorded { id, .. } => id,
        other => panic!("sanction refused: {other:?}"),
    }
}

/// Waits for the three NOTICEs of a statement of reasons and returns them.
async fn statement(client: &mut IrcClient) -> Vec<String> {
    let mut lines = Vec::new();
    for what in ["Modération, sanction", "Moderation, sanction", "Appel :"] {
        lines.push(
            client
                .expect(what, |l| l.contains(" NOTICE ") && l.contains(what))
                .await,
        );
    }
    lines
}

#[tokio::test]
async fn a_muted_irc_user_cannot_speak_until_the_mute_is_lifted_even_after_reconnecting() {
    let server = staff_server().await;
    let mut vigie = server.logged_in("Vigie", PASSWORD).await;
    let mut web = server.guest("Webby", 30).await;
    web.join("paris").await;
    let mut relou = server.irc_user("Relou", "30 H 75").await;
    relou.send("JOIN #paris").await;
    relou.numeric("366").await;

    let id = sanction(
        &mut vigie,
        json!({"type": "sanction", "nick": "relou", "kind": "mute",
               "duration_secs": 600, "reason": "Insultes répétées dans #paris"}),
    )
    .await;
    let notices = statement(&mut relou).await;
    assert!(
        notices[0].contains(&format!("sanction {id}"))
            && notices[0].contains("muet jusqu'au")
            && notices[0].contains("Insultes répétées dans #paris"),
        "{notices:?}"
    );
    assert!(notices[1].contains("You are muted until"), "{notices:?}");

    // Muted in rooms and in private, with the right numeric each time.
    relou.send("PRIVMSG #paris :encore").await;
    let refused = relou.numeric("404").await;
    assert!(
        refused.contains("#paris") && refused.contains("muted"),
        "{refused}"
    );
    relou.send("PRIVMSG Webby :psst").await;
    let refused = relou.numeric("404").await;
    assert!(refused.contains("Webby"), "{refused}");
    // Nor through an away message or the name of a new room.
    relou.send("AWAY :venez tous sur mon site").await;
    let refused = relou.numeric("400").await;
    assert!(refused.contains("muted"), "{refused}");
    relou.send("JOIN #mon-site-pas-cher").await;
    let refused = relou.numeric("403").await;
    assert!(refused.contains("muted"), "{refused}");
    web.assert_none_before_pong("a muted person's words", |event| {
        matches!(
            event,
            Event::Message(_) | Event::Dm(_) | Event::Away { .. } | Event::RoomAdded { .. }
        )
    })
    .await;

    // Reconnecting with the same nickname does not shed the mute.
    relou.send("QUIT").await;
    relou.expect("the close", |l| l.starts_with("ERROR")).await;
    let mut relou = server.irc().await;
    relou.nick = "Relou".into();
    relou.send("NICK Relou").await;
    relou.send("USER r 0 * :30 H 75").await;
    relou.welcome_once_free("Relou").await;
    relou.send("JOIN #paris").await;
    relou.numeric("366").await;
    relou.send("PRIVMSG #paris :et maintenant ?").await;
    relou.numeric("404").await;

    // Lifted: words flow again.
    let lifted = vigie
        .request(json!({"type": "lift_sanction", "id": id}))
        .await;
    assert!(matches!(lifted, Event::Ok { .. }), "{lifted:?}");
    let again = vigie
        .request(json!({"type": "lift_sanction", "id": id}))
        .await;
    assert_eq!(error_code(&again), "sanction_not_found");
    relou.send("PRIVMSG #paris :pardon").await;
    web.expect_message("paris", "pardon").await;

    drop((vigie, web, relou));
    let data_dir = server.shutdown_keeping_data().await;
    assert_eq!(
        who_did_what(&audited(data_dir.path()).await),
        ["Vigie sanction.mute Relou", "Vigie lift.mute Relou"]
    );
}

/// The audit log a stopped server left, after checking its hash chain.
async fn audited(data_dir: &std::path::Path) -> Vec<AuditEntry> {
    let store = SqliteStore::open(data_dir).await.unwrap();
    let log = store.audit_log().await.unwrap();
    assert_eq!(store.verify_audit().await.unwrap(), log.len() as u64);
    store.close().await;
    log.into_iter().map(|row| row.entry).collect()
}

/// `actor action subject` of each audit entry.
fn who_did_what(log: &[AuditEntry]) -> Vec<String> {
    log.iter()
        .map(|entry| format!("{} {} {}", entry.actor, entry.action, entry.subject))
        .collect()
}

#[tokio::test]
async fn kill_and_ban_put_an_irc_user_out_and_a_ban_holds_across_a_restart() {
    let server = staff_server().await;
    let mut vigie = irc_member(&server, "Vigie").await;
    vigie.numeric("381").await;
    let mut web = server.guest("Webby", 30).await;
    web.join("paris").await;
    let mut relou = server.irc_user("Relou", "30 H 75").await;
    relou.send("JOIN #paris").await;
    relou.numeric("366").await;
    web.expect("Relou joining", |e| matches!(e, Event::MemberJoined { .. }))
        .await;

    // KILL from IRC: a kick sanction with its statement, then the close.
    vigie.send("KILL Relou :Spam de liens").await;
    vigie
        .expect("the KILL confirmation", |l| {
            l.contains(" NOTICE ") && l.contains("Relou") && l.contains("sanction")
        })
        .await;
    let notices = statement(&mut relou).await;
    assert!(notices[0].contains("sorti du site"), "{notices:?}");
    assert!(notices[1].contains("Reason: Spam de liens"), "{notices:?}");
    let closing = relou.expect("the close", |l| l.starts_with("ERROR")).await;
    assert!(closing.contains("Moderators removed you"), "{closing}");
    web.expect(
        "Relou leaving",
        |e| matches!(e, Event::MemberQuit { nick, .. } if nick == "Relou"),
    )
    .await;

    // A kick lets them back; a ban does not.
    let mut relou = server.irc_user("Relou", "30 H 75").await;
    let mut gardien = server.logged_in("Gardien", PASSWORD).await;
    sanction(
        &mut gardien,
        json!({"type": "sanction", "nick": "Relou", "kind": "ban",
               "duration_secs": 86_400, "reason": "Récidive après exclusion"}),
    )
    .await;
    let notices = statement(&mut relou).await;
    assert!(
        notices[1].contains("You are banned from the site until"),
        "{notices:?}"
    );
    let closing = relou.expect("the close", |l| l.starts_with("ERROR")).await;
    assert!(closing.contains("Moderators banned you"), "{closing}");

    async fn refused_entry(server: &TestServer) -> String {
        let mut client = server.irc().await;
        client.nick = "Relou".into();
        client.send("NICK Relou").await;
        client.send("USER r 0 * :30 H 75").await;
        let banned = client.numeric("465").await;
        client.expect("the close", |l| l.starts_with("ERROR")).await;
        banned
    }
    let banned = refused_entry(&server).await;
    assert!(
        banned.contains("until") && banned.contains("Reason: Récidive après exclusion"),
        "{banned}"
    );
    // On the web too, with the reason and when it ends.
    let mut web_relou = server.client().await;
    let refusal = web_relou.enter("RELOU", 30, "homme", "75").await;
    assert_eq!(error_code(&refusal), "banned");
    let Event::Error(error) = &refusal else {
        unreachable!()
    };
    assert_eq!(error.detail.as_deref(), Some("Récidive après exclusion"));
    let left = error.retry_after_ms.expect("when the ban ends");
    assert!(left > 86_000_000 && left <= 86_400_000, "{left}");

    drop((vigie, web, gardien, web_relou));
    let server = server.restart().await;
    refused_entry(&server).await;

    // Every staff action is in the audit log, and its chain holds.
    let data_dir = server.shutdown_keeping_data().await;
    let log = audited(data_dir.path()).await;
    assert_eq!(
        who_did_what(&log),
        ["Vigie sanction.kick Relou", "Gardien sanction.ban Relou"]
    );
    assert!(log[1].detail.contains("86400 s"), "{:?}", log[1]);
}

#[tokio::test]
async fn only_staff_may_sanction_and_only_someone_of_higher_rank_may_sanction_staff() {
    let server = staff_server().await;
    let mut guest = server.guest("Curieux", 30).await;
    let mut vigie = server.logged_in("Vigie", PASSWORD).await;
    let mut gardien = server.logged_in("Gardien", PASSWORD).await;
    let mute = |nick: &str| {
        json!({"type": "sanction", "nick": nick, "kind": "mute",
               "duration_secs": 60, "reason": "test"})
    };

    assert_eq!(error_code(&guest.request(mute("Vigie")).await), "not_staff");
    assert_eq!(
        error_code(
            &guest
                .request(json!({"type": "wallops", "text": "salut"}))
                .await
        ),
        "not_staff"
    );
    assert_eq!(
        error_code(&vigie.request(mute("Gardien")).await),
        "target_is_staff"
    );
    assert_eq!(
        error_code(&vigie.request(mute("Vigie")).await),
        "target_is_staff"
    );
    // The rank holds for staff who are offline too.
    assert_eq!(
        error_code(&vigie.request(mute("Fantome")).await),
        "target_is_staff"
    );
    sanction(&mut gardien, mute("Vigie")).await;
    match vigie
        .expect("the statement", |e| matches!(e, Event::Sanctioned(_)))
        .await
    {
        Event::Sanctioned(notice) => {
            assert_eq!(notice.kind, SanctionKind::Mute);
            assert_eq!(notice.appeal, "Appel : moderation@example.org");
            assert!(notice.until.is_some());
        }
        _ => unreachable!(),
    }

    // Bad requests are named precisely.
    let cases = [
        (
            json!({"type": "sanction", "nick": "Curieux", "kind": "mute", "reason": "x"}),
            "missing_field",
            "duration_secs",
        ),
        (
            json!({"type": "sanction", "nick": "Curieux", "kind": "warning", "reason": "  "}),
            "missing_field",
            "reason",
        ),
        (
            json!({"type": "sanction", "nick": "Curieux", "kind": "kick", "reason": "x",
                "duration_secs": 60}),
            "invalid_field",
            "duration_secs",
        ),
        (
            json!({"type": "sanction", "nick": "Curieux", "kind": "warning", "reason": "x",
                "address": true}),
            "invalid_field",
            "address",
        ),
        (
            json!({"type": "sanction", "nick": "Curieux", "kind": "ban", "reason": "x",
                "duration_secs": 0}),
            "invalid_field",
            "duration_secs",
        ),
    ];
    for (command, code, detail) in cases {
        let refusal = gardien.request(command.clone()).await;
        assert_eq!(error_code(&refusal), code, "{command}");
        let Event::Error(error) = refusal else {
            unreachable!()
        };
        assert_eq!(error.detail.as_deref(), Some(detail), "{command}");
    }
    let absent = json!({"type": "sanction", "nick": "Personne", "kind": "warning",
                        "reason": "x"});
    assert_eq!(error_code(&gardien.request(absent).await), "user_not_found");
    // An offline nickname may be banned ahead of time.
    let ahead = gardien
        .request(json!({"type": "sanction", "nick": "Absent", "kind": "ban",
                        "reason": "Menaces en message privé"}))
        .await;
    assert!(
        matches!(ahead, Event::SanctionRecorded { online: false, .. }),
        "{ahead:?}"
    );
    let mut absent = server.client().await;
    let refusal = absent.enter("Absent", 30, "homme", "75").await;
    assert_eq!(error_code(&refusal), "banned");
    let Event::Error(error) = refusal else {
        unreachable!()
    };
    assert_eq!(error.retry_after_ms, None, "a ban for good");

    // A staff nickname cannot be taken by a guest, registered or not.
    let mut taker = server.client().await;
    assert_eq!(
        error_code(&taker.enter("Fantome", 30, "homme", "75").await),
        "nickname_reserved"
    );
    assert_eq!(
        error_code(&taker.enter("vigie", 30, "homme", "75").await),
        "password_required"
    );

    // Over IRC, the refusals are numerics.
    let mut irc = server.irc_user("Ircy", "30 H 69").await;
    irc.send("KILL Curieux :dehors").await;
    irc.numeric("481").await;
    irc.send("WALLOPS :coucou").await;
    irc.numeric("481").await;
    irc.send("KILL Curieux").await;
    irc.numeric("461").await;
    server.shutdown().await;
}

#[tokio::test]
async fn wallops_reach_every_member_of_staff_and_nobody_else_and_whois_shows_the_role() {
    let server = staff_server().await;
    let mut vigie = irc_member(&server, "Vigie").await;
    let mut gardien = server.logged_in("Gardien", PASSWORD).await;
    let mut guest = server.guest("Curieux", 30).await;
    let mut irc_guest = server.irc_user("Ircy", "30 H 69").await;

    vigie.send("WALLOPS :Raid en cours sur #paris").await;
    let echo = vigie
        .expect("the WALLOPS echo", |l| l.contains(" WALLOPS "))
        .await;
    assert!(
        echo.starts_with(":Vigie!") && echo.ends_with(":Raid en cours sur #paris"),
        "{echo}"
    );
    match gardien
        .expect("wallops", |e| matches!(e, Event::Wallops { .. }))
        .await
    {
        Event::Wallops { from, text } => {
            assert_eq!(from.nick, "Vigie");
            assert_eq!(text, "Raid en cours sur #paris");
        }
        _ => unreachable!(),
    }
    guest
        .assert_none_before_pong("wallops", |e| matches!(e, Event::Wallops { .. }))
        .await;
    let lines = irc_guest.lines_before_sync().await;
    assert!(!lines.iter().any(|l| l.contains("WALLOPS")), "{lines:?}");

    // Staff are recognisable: WHOIS 313, and the badge in the profile.
    irc_guest.send("WHOIS Vigie").await;
    let operator = irc_guest.numeric("313").await;
    assert!(
        operator.contains("is a moderator of this site"),
        "{operator}"
    );
    // A guest's WHOIS has no 313 line (what is left of Vigie's goes first).
    irc_guest.lines_before_sync().await;
    irc_guest.send("WHOIS Ircy").await;
    let whois = irc_guest.lines_before_sync().await;
    assert!(
        whois.iter().any(|l| l.contains(" 318 Ircy Ircy ")),
        "{whois:?}"
    );
    assert!(!whois.iter().any(|l| l.contains(" 313 ")), "{whois:?}");
    match guest
        .request(json!({"type": "whois", "nick": "gardien"}))
        .await
    {
        Event::UserInfo { user, .. } => assert_eq!(user.staff, Some(StaffRole::Administrator)),
        other => panic!("{other:?}"),
    }
    vigie.send("MODE Vigie").await;
    assert!(vigie.numeric("221").await.ends_with("+io"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_web_guest_is_warned_then_banned_with_their_address() {
    let server = staff_server().await;
    let mut gardien = server.logged_in("Gardien", PASSWORD).await;
    let mut troll = server.guest("Troll", 30).await;
    let mut bystander = server.guest("Voisin", 30).await;

    let warned = gardien
        .request(
            json!({"type": "sanction", "nick": "Troll", "kind": "warning",
                        "reason": "Propos déplacés"}),
        )
        .await;
    assert!(
        matches!(warned, Event::SanctionRecorded { online: true, .. }),
        "{warned:?}"
    );
    match troll
        .expect("the warning", |e| matches!(e, Event::Sanctioned(_)))
        .await
    {
        Event::Sanctioned(notice) => {
            assert_eq!(notice.kind, SanctionKind::Warning);
            assert_eq!(notice.reason, "Propos déplacés");
            assert_eq!(notice.until, None);
        }
        _ => unreachable!(),
    }

    // Muted on the web: messages, new rooms and typing are refused, with
    // when the mute ends.
    let own = troll
        .request(json!({"type": "create_room", "name": "Repaire"}))
        .await;
    assert!(matches!(own, Event::Joined { .. }), "{own:?}");
    sanction(
        &mut gardien,
        json!({"type": "sanction", "nick": "Troll", "kind": "mute", "duration_secs": 600,
               "reason": "Flood"}),
    )
    .await;
    troll
        .expect("the mute", |e| matches!(e, Event::Sanctioned(_)))
        .await;
    for command in [
        json!({"type": "say", "room": "repaire", "body": "flood"}),
        json!({"type": "create_room", "name": "Autre repaire"}),
        json!({"type": "set_room", "room": "repaire", "topic": "pub"}),
        json!({"type": "room_typing", "room": "repaire"}),
    ] {
        let refusal = troll.request(command.clone()).await;
        assert_eq!(error_code(&refusal), "muted", "{command}");
        let Event::Error(error) = refusal else {
            unreachable!()
        };
        let left = error.retry_after_ms.expect("until when");
        assert!(left > 590_000 && left <= 600_000, "{left}");
    }
    // Running one's own room is not speech: flags may still change.
    let flags = troll
        .request(json!({"type": "set_room", "room": "repaire", "moderated": true}))
        .await;
    assert!(matches!(flags, Event::Ok { .. }), "{flags:?}");

    // A ban with the address: everyone at it leaves, staff excepted (the
    // test's clients all share 127.0.0.1), and nobody there enters again.
    sanction(
        &mut gardien,
        json!({"type": "sanction", "nick": "Troll", "kind": "ban", "duration_secs": 3600,
               "reason": "Harcèlement", "address": true}),
    )
    .await;
    match troll
        .expect("the statement", |e| matches!(e, Event::Sanctioned(_)))
        .await
    {
        Event::Sanctioned(notice) => assert_eq!(notice.kind, SanctionKind::Ban),
        _ => unreachable!(),
    }
    // Closing `banned`, then close code 1008 (policy violation).
    assert_eq!(
        troll.expect_close_frame().await,
        (Some("banned".to_owned()), Some(1008))
    );
    // The bystander shares the address only: their statement says so and
    // names neither Troll nor the reason given for Troll.
    match bystander
        .expect("the statement", |e| matches!(e, Event::Sanctioned(_)))
        .await
    {
        Event::Sanctioned(notice) => {
            assert!(notice.address && notice.reason.is_empty(), "{notice:?}");
            assert_eq!(notice.kind, SanctionKind::Ban);
        }
        _ => unreachable!(),
    }
    assert_eq!(
        bystander.expect_closed().await.as_deref(),
        Some("address_banned")
    );
    let mut again = server.client().await;
    let refused = again.enter("Autrenom", 30, "femme", "13").await;
    assert_eq!(error_code(&refused), "address_banned");
    let Event::Error(refused) = refused else {
        unreachable!()
    };
    assert_eq!(refused.detail, None, "the reason is Troll's: not shown");
    assert!(refused.retry_after_ms.is_some());
    // Staff still work from the same address.
    let pong = gardien.request(json!({"type": "ping"})).await;
    assert!(matches!(pong, Event::Pong { .. }));
    let vigie = server.logged_in("Vigie", PASSWORD).await;
    drop(vigie);
    server.shutdown().await;
}

/// Regression (issue 11, item 1): staff are adults. A member of the teen
/// band named in `[staff]` gets no role, so no staff path (wallops,
/// sanctions) ever joins the bands.
#[tokio::test]
async fn a_teen_member_listed_as_staff_enters_as_an_ordinary_member() {
    let server = cheap_hashing_server().await;
    for (nick, age) in [("Ado", 16), ("Gardien", 40)] {
        let (client, _) = server.member(nick, age, PASSWORD).await;
        drop(client);
    }
    let server = server
        .restart_with(|config| {
            config.staff.moderators = vec!["Ado".into()];
            config.staff.administrators = vec!["Gardien".into()];
        })
        .await;
    let mut ado = server.logged_in("Ado", PASSWORD).await;
    let mut gardien = server.logged_in("Gardien", PASSWORD).await;
    let whoami = ado.request(json!({"type": "whois", "nick": "Ado"})).await;
    assert!(
        matches!(&whoami, Event::UserInfo { user, .. } if user.staff.is_none()),
        "{whoami:?}"
    );
    assert_eq!(
        error_code(
            &ado.request(json!({"type": "wallops", "text": "coucou"}))
                .await
        ),
        "not_staff"
    );
    assert_eq!(
        error_code(
            &ado.request(
                json!({"type": "sanction", "nick": "Gardien", "kind": "warning",
                               "reason": "test"})
            )
            .await
        ),
        "not_staff"
    );
    // The adult administrator's wallops reach no teen.
    let reply = gardien
        .request(json!({"type": "wallops", "text": "Raid sur #paris"}))
        .await;
    assert!(matches!(reply, Event::Ok { .. }), "{reply:?}");
    ado.assert_none_before_pong("an adult's wallops", |event| {
        matches!(event, Event::Wallops { .. })
    })
    .await;
    // Over IRC too: no 381, and WALLOPS is refused.
    drop(ado);
    let mut irc_ado = irc_member(&server, "Ado").await;
    irc_ado.send("WALLOPS :coucou").await;
    let lines = irc_ado.lines_before_sync().await;
    assert!(
        lines.iter().all(|line| !line.contains(" 381 ")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|line| line.contains(" 481 ")), "{lines:?}");
    server.shutdown().await;
}

/// Regression (issue 11, item 2): staff act on both bands, and what a
/// sanction answers does not depend on the band of the person; the audit
/// log says when staff acted on a teen.
#[tokio::test]
async fn a_sanction_answers_the_same_for_either_band_and_the_log_names_the_band() {
    let server = staff_server().await;
    let mut vigie = server.logged_in("Vigie", PASSWORD).await;
    let teen = server.guest("Lycee", 16).await;
    let adult = server.guest("Adulte", 30).await;
    for nick in ["Lycee", "Adulte"] {
        let recorded = vigie
            .request(json!({"type": "sanction", "nick": nick, "kind": "warning",
                           "reason": "Rappel des règles"}))
            .await;
        assert!(
            matches!(recorded, Event::SanctionRecorded { online: true, .. }),
            "{nick}: {recorded:?}"
        );
    }
    drop((vigie, teen, adult));
    let data_dir = server.shutdown_keeping_data().await;
    let log = audited(data_dir.path()).await;
    assert!(log[0].detail.contains("band teen"), "{:?}", log[0]);
    assert!(log[1].detail.contains("band adult"), "{:?}", log[1]);
}

/// Regression (issue 11, item 3): an address sanction binds everyone on
/// the address, in both bands, but tells the others only that their
/// address is restricted: never whom it is about, nor the reason staff
/// wrote (which names that person).
#[tokio::test]
async fn an_address_sanction_names_nobody_to_the_others_on_the_address() {
    let server = staff_server().await;
    let mut gardien = server.logged_in("Gardien", PASSWORD).await;
    let mut relou = server.guest("Relou", 35).await;
    let mut teen = server.guest("Collegien", 15).await;
    teen.join("paris").await;
    let mut teen_irc = server.irc_user("Lyceenne", "16 F 75").await;

    sanction(
        &mut gardien,
        json!({"type": "sanction", "nick": "Relou", "kind": "mute", "duration_secs": 600,
               "reason": "Relou : insultes dans #paris", "address": true}),
    )
    .await;
    // The person sanctioned reads the reason.
    match relou
        .expect("the statement", |e| matches!(e, Event::Sanctioned(_)))
        .await
    {
        Event::Sanctioned(notice) => {
            assert!(!notice.address);
            assert_eq!(notice.reason, "Relou : insultes dans #paris");
        }
        _ => unreachable!(),
    }
    // The teen on the same address: restricted, told so, named nobody.
    match teen
        .expect("the statement", |e| matches!(e, Event::Sanctioned(_)))
        .await
    {
        Event::Sanctioned(notice) => {
            assert!(notice.address, "{notice:?}");
            assert_eq!(notice.reason, "");
            assert!(notice.until.is_some());
            assert_eq!(notice.kind, SanctionKind::Mute);
        }
        _ => unreachable!(),
    }
    let refused = teen
        .request(json!({"type": "say", "room": "paris", "body": "coucou"}))
        .await;
    assert_eq!(error_code(&refused), "address_muted");
    let Event::Error(refused) = refused else {
        unreachable!()
    };
    assert!(!format!("{refused:?}").contains("Relou"), "{refused:?}");
    assert!(refused.retry_after_ms.is_some());
    // Over IRC: the statement names nobody either.
    let notices = teen_irc
        .expect("the statement", |l| {
            l.contains(" NOTICE ") && l.contains("Moderation, sanction")
        })
        .await;
    assert!(
        notices.contains("the address you connect from is restricted"),
        "{notices}"
    );
    let lines = teen_irc.lines_before_sync().await;
    assert!(
        lines
            .iter()
            .chain([&notices])
            .all(|line| !line.contains("Relou")),
        "{lines:?}"
    );
    drop((gardien, relou, teen, teen_irc));
    server.shutdown().await;
}
