//! The IRC gateway through raw TCP clients: registration, commands, the
//! same rooms and people as the web, and the same band isolation.

use serde_json::json;
use tchatche_protocol::Event;

use crate::support::TestServer;

#[tokio::test]
async fn registration_without_and_with_cap_negotiation() {
    let server = TestServer::start().await;
    let mut plain = server.irc().await;
    plain.send("NICK Pierre").await;
    plain.send("USER pierre 0 * :30 H 69").await;
    let welcome = plain.numeric("001").await;
    assert!(welcome.starts_with(":tchatche 001 Pierre"), "{welcome}");
    plain.numeric("376").await;

    let mut modern = server.irc().await;
    modern.nick = "Sophie".into();
    modern.send("CAP LS 302").await;
    let caps = modern.expect("CAP LS", |l| l.contains("CAP * LS")).await;
    for cap in [
        "server-time",
        "message-tags",
        "echo-message",
        "multi-prefix",
        "extended-join",
        "userhost-in-names",
        "cap-notify",
    ] {
        assert!(caps.contains(cap), "{cap} missing from {caps}");
    }
    modern.send("NICK Sophie").await;
    modern.send("USER sophie 0 * :28 F 33").await;
    modern.send("CAP REQ :server-time echo-message").await;
    modern
        .expect("ACK", |l| {
            l.contains("CAP * ACK :server-time echo-message") || l.contains("CAP Sophie ACK")
        })
        .await;
    modern.send("CAP REQ :unknown-cap").await;
    modern.expect("NAK", |l| l.contains(" NAK ")).await;
    // No welcome before CAP END: commands are still refused as unregistered.
    modern.send("LUSERS").await;
    modern.numeric("451").await;
    modern.send("CAP END").await;
    modern.numeric("001").await;
    let isupport = modern.numeric("005").await;
    for token in [
        "CHANTYPES=#",
        "PREFIX=(ov)@+",
        "NICKLEN=20",
        "ELIST=CMNTU",
        "CASEMAPPING=ascii",
        "CHANMODES=Ib,k,l,imnt",
        "INVEX=I",
        "CHATHISTORY=50",
    ] {
        assert!(isupport.contains(token), "{token} missing from {isupport}");
    }
    modern.numeric("376").await;
    modern.send("CAP LIST").await;
    let list = modern.expect("CAP LIST", |l| l.contains(" LIST ")).await;
    assert!(
        list.contains("server-time") && list.contains("echo-message"),
        "{list}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_missing_profile_is_refused_with_an_explanation_unless_the_instance_gives_one() {
    let server = TestServer::start().await;
    let mut client = server.irc().await;
    client.send("NICK Anon").await;
    client.send("USER anon 0 * :Just Me").await;
    client
        .expect("the explanation", |l| {
            l.contains("NOTICE") && l.contains("25 H 75")
        })
        .await;
    client.expect("the close", |l| l.starts_with("ERROR")).await;
    while client.next_line().await.is_some() {}
    server.shutdown().await;

    let server =
        TestServer::start_with(|config| config.irc.default_guest_profile = "30 A etranger".into())
            .await;
    let mut client = server.irc_user("Anon", "Just Me").await;
    client.send("WHOIS Anon").await;
    let whois = client.numeric("311").await;
    assert!(whois.ends_with(":30 A etranger"), "{whois}");
    server.shutdown().await;
}

#[tokio::test]
async fn nickname_refusals_are_numerics_and_the_client_can_retry() {
    let server = TestServer::start().await;
    let _web = server.guest("Camille", 30).await;
    let mut client = server.irc().await;
    client.send("NICK camille").await;
    client.send("USER c 0 * :30 F 75").await;
    client.numeric("433").await;
    client.send("NICK admin").await;
    client.numeric("432").await;
    client.send("NICK Camille2").await;
    client.numeric("001").await;
    // A teen age or a bad département is explained, then the link closes.
    let mut young = server.irc().await;
    young.send("NICK Petit").await;
    young.send("USER p 0 * :12 H 75").await;
    young
        .expect("the refusal", |l| {
            l.contains("NOTICE") && l.contains("minimum")
        })
        .await;
    young.expect("the close", |l| l.starts_with("ERROR")).await;
    server.shutdown().await;
}

#[tokio::test]
async fn irc_and_web_users_share_rooms_and_private_messages() {
    let server = TestServer::start().await;
    let mut web = server.guest("Webby", 30).await;
    let mut irc = server.irc_user("Ircy", "31 H 75").await;
    web.join("paris").await;
    irc.send("JOIN #paris").await;
    irc.expect("my JOIN", |l| {
        l.starts_with(":Ircy!") && l.contains("JOIN #paris")
    })
    .await;
    irc.numeric("332").await;
    let names = irc.numeric("353").await;
    assert!(names.contains("Webby") && names.contains("Ircy"), "{names}");
    irc.numeric("366").await;
    web.expect(
        "Ircy joining",
        |e| matches!(e, Event::MemberJoined { member, .. } if member.user.nick == "Ircy"),
    )
    .await;

    web.say("paris", "bonjour depuis le web").await;
    let line = irc
        .expect("the web message", |l| l.contains("PRIVMSG #paris"))
        .await;
    assert_eq!(
        line,
        ":Webby!~guest@tchatche PRIVMSG #paris :bonjour depuis le web"
    );

    irc.send("PRIVMSG #paris :salut depuis IRC").await;
    let message = web.expect_message("paris", "salut depuis IRC").await;
    assert_eq!(message.author.nick, "Ircy");

    // Private messages cross transports both ways.
    irc.send("PRIVMSG webby :psst").await;
    let Event::Dm(dm) = web.expect("the DM", |e| matches!(e, Event::Dm(_))).await else {
        unreachable!()
    };
    assert_eq!((dm.from.nick.as_str(), dm.body.as_str()), ("Ircy", "psst"));
    web.request(json!({"type": "dm", "to": dm.from.id.to_string(), "body": "reçu"}))
        .await;
    let line = irc
        .expect("the web DM", |l| l.contains("PRIVMSG Ircy"))
        .await;
    assert_eq!(line, ":Webby!~guest@tchatche PRIVMSG Ircy :reçu");

    // Parts show on both sides.
    irc.send("PART #paris").await;
    web.expect("Ircy leaving", |e| matches!(e, Event::MemberLeft { .. }))
        .await;

    // Leaving the site is one QUIT, however many channels were shared, and
    // one `member_quit` on the web.
    irc.send("JOIN #paris,#lyon").await;
    irc.expect("my JOIN of #lyon", |l| {
        l.starts_with(":Ircy!") && l.contains("JOIN #lyon")
    })
    .await;
    web.join("lyon").await;
    irc.expect("Webby joining #lyon", |l| {
        l.starts_with(":Webby!") && l.contains("JOIN #lyon")
    })
    .await;
    drop(web);
    let quit = irc.expect("Webby's QUIT", |l| l.contains(" QUIT ")).await;
    assert_eq!(quit, ":Webby!~guest@tchatche QUIT :Quit");
    // Nothing more from Webby: no second QUIT, no PART per channel.
    let lines = irc.lines_before_sync().await;
    assert!(!lines.iter().any(|l| l.starts_with(":Webby!")), "{lines:?}");
    let mut other = server.guest("Autre", 30).await;
    other.join("paris").await;
    irc.send("QUIT :bonne nuit").await;
    other
        .expect(
            "Ircy quitting",
            |e| matches!(e, Event::MemberQuit { nick, .. } if nick == "Ircy"),
        )
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn echo_message_and_server_time_follow_the_capabilities() {
    let server = TestServer::start().await;
    let mut modern = server.irc().await;
    modern.nick = "Modern".into();
    modern.send("CAP REQ :server-time echo-message").await;
    modern.send("NICK Modern").await;
    modern.send("USER m 0 * :30 H 75").await;
    modern.send("CAP END").await;
    modern.numeric("376").await;
    let mut plain = server.irc_user("Plain", "30 H 75").await;
    for client in [&mut modern, &mut plain] {
        client.send("JOIN #lyon").await;
        client.numeric("366").await;
    }
    modern.send("PRIVMSG #lyon :écho").await;
    let echoed = modern
        .expect("the echo", |l| l.contains("PRIVMSG #lyon"))
        .await;
    assert!(
        echoed.starts_with("@time=") && echoed.contains("msgid="),
        "{echoed}"
    );
    let received = plain
        .expect("the message", |l| l.contains("PRIVMSG #lyon"))
        .await;
    assert_eq!(received, ":Modern!~guest@tchatche PRIVMSG #lyon :écho");
    // Without echo-message, one's own message does not come back.
    plain.send("PRIVMSG #lyon :pas d'écho").await;
    modern
        .expect("Plain's message", |l| l.contains("pas d'écho"))
        .await;
    let lines = plain.lines_before_sync().await;
    assert!(!lines.iter().any(|l| l.contains("pas d'écho")), "{lines:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn channel_commands() {
    let server = TestServer::start().await;
    let mut op = server.irc_user("Opi", "30 H 75").await;
    let mut other = server.irc_user("Otto", "30 H 75").await;
    // JOIN of a missing channel creates it; its creator is operator.
    op.send("JOIN #chez-opi").await;
    let names = op.numeric("353").await;
    assert!(names.contains("@Opi"), "{names}");
    other.send("JOIN #chez-opi").await;
    other.numeric("366").await;

    op.send("TOPIC #chez-opi :Bienvenue chez Opi").await;
    other
        .expect("the topic", |l| {
            l.contains("TOPIC #chez-opi :Bienvenue chez Opi")
        })
        .await;
    other.send("TOPIC #chez-opi").await;
    assert!(other.numeric("332").await.ends_with(":Bienvenue chez Opi"));
    other.send("TOPIC #chez-opi :coup d'état").await;
    other.numeric("482").await;

    op.send("MODE #chez-opi +ml 5").await;
    other
        .expect("+m", |l| l.contains("MODE #chez-opi +m"))
        .await;
    other
        .expect("+l", |l| l.contains("MODE #chez-opi +l 5"))
        .await;
    other.send("MODE #chez-opi").await;
    assert!(other.numeric("324").await.contains("+mntl 5"));
    other.send("PRIVMSG #chez-opi :je peux parler ?").await;
    other.numeric("404").await;
    op.send("MODE #chez-opi -m").await;
    other
        .expect("-m", |l| l.contains("MODE #chez-opi -m"))
        .await;
    other.send("MODE #chez-opi +x").await;
    other.numeric("472").await;

    other.send("NAMES #chez-opi").await;
    let names = other.numeric("353").await;
    assert!(names.contains("@Opi") && names.contains("Otto"), "{names}");

    other.send("LIST >1").await;
    other.numeric("321").await;
    let listed = other.numeric("322").await;
    assert!(listed.contains("#chez-opi 2"), "{listed}");
    other.numeric("323").await;
    other.send("LIST #paris,#lyon").await;
    let mut listed = Vec::new();
    loop {
        let line = other.next_line().await.unwrap();
        if line.contains(" 323 ") {
            break;
        }
        if line.contains(" 322 ") {
            listed.push(line);
        }
    }
    assert_eq!(listed.len(), 2, "{listed:?}");

    other.send("WHO #chez-opi").await;
    let who = other.numeric("352").await;
    assert!(who.contains("~guest tchatche tchatche"), "{who}");
    other.numeric("315").await;

    other.send("WHOIS opi").await;
    let whois = other.numeric("311").await;
    assert!(whois.contains("Opi ~guest tchatche * :30 H 75"), "{whois}");
    assert!(other.numeric("319").await.contains("#chez-opi"));
    other.numeric("318").await;
    other.send("WHOIS nobody").await;
    other.numeric("401").await;

    other.send("PART #chez-opi").await;
    other
        .expect("my part", |l| {
            l.starts_with(":Otto!") && l.contains("PART #chez-opi")
        })
        .await;
    op.expect("Otto's part", |l| {
        l.starts_with(":Otto!") && l.contains("PART #chez-opi")
    })
    .await;
    other.send("PART #chez-opi").await;
    other.numeric("442").await;
    server.shutdown().await;
}

#[tokio::test]
async fn server_commands_and_bad_lines() {
    let server = TestServer::start().await;
    let mut client = server.irc().await;
    client.send("JOIN #paris").await;
    client.numeric("451").await;
    client.register("Curieux", "40 A 13").await;
    client.send("PING :abc").await;
    client
        .expect("PONG", |l| l.contains("PONG") && l.ends_with("abc"))
        .await;
    client.send("MOTD").await;
    client.numeric("375").await;
    assert!(client.numeric("372").await.contains("tchatche"));
    client.numeric("376").await;
    client.send("VERSION").await;
    client.numeric("351").await;
    client.send("LUSERS").await;
    assert!(client.numeric("251").await.contains("There are 1 users"));
    client.send("AWAY :parti manger").await;
    client.numeric("306").await;
    client.send("AWAY").await;
    client.numeric("305").await;
    client.send("DANSE").await;
    client.numeric("421").await;
    client.send("WALLOPS :hello").await;
    client.numeric("481").await;
    client.send("PRIVMSG").await;
    client.numeric("411").await;
    client.send("JOIN").await;
    client.numeric("461").await;

    // Bad lines: each answered, none closes the connection.
    client.send_bytes(b"PRIVMSG #paris :\xff\xfe\r\n").await;
    client
        .expect("the UTF-8 complaint", |l| {
            l.contains("FAIL") && l.contains("UTF-8")
        })
        .await;
    client.send_bytes(b"PRIVMSG #paris :a\0b\r\n").await;
    client
        .expect("the NUL complaint", |l| {
            l.contains("FAIL") && l.contains("NUL")
        })
        .await;
    let long = format!("PRIVMSG #paris :{}\r\n", "x".repeat(9000));
    client.send_bytes(long.as_bytes()).await;
    client.numeric("417").await;
    client.send("PING :still-here").await;
    client.expect("PONG", |l| l.ends_with("still-here")).await;
    client.send("QUIT :bye").await;
    client.expect("ERROR", |l| l.starts_with("ERROR")).await;
    server.shutdown().await;
}

#[tokio::test]
async fn bands_stay_apart_over_irc() {
    let server = TestServer::start().await;
    let mut adult = server.guest("Marcel", 45).await;
    adult.join("paris").await;
    adult.join("rencontres").await;
    let mut teen = server.irc_user("Lucas", "16 H 69").await;
    teen.send("JOIN #paris").await;
    let names = teen.numeric("353").await;
    assert!(!names.contains("Marcel"), "{names}");
    teen.numeric("366").await;
    teen.send("NAMES #paris").await;
    assert!(!teen.numeric("353").await.contains("Marcel"));
    teen.send("WHO #paris").await;
    let mut who = Vec::new();
    loop {
        let line = teen.next_line().await.unwrap();
        if line.contains(" 315 ") {
            break;
        }
        who.push(line);
    }
    assert!(who.iter().all(|l| !l.contains("Marcel")), "{who:?}");
    teen.send("WHOIS Marcel").await;
    teen.numeric("401").await;
    teen.send("PRIVMSG Marcel :salut").await;
    teen.numeric("401").await;
    teen.send("LIST").await;
    let mut channels = Vec::new();
    loop {
        let line = teen.next_line().await.unwrap();
        if line.contains(" 323 ") {
            break;
        }
        if line.contains(" 322 ") {
            channels.push(line);
        }
    }
    assert!(channels.len() >= 30);
    assert!(
        channels.iter().all(|l| !l.contains("#rencontres ")),
        "no adult room listed"
    );
    // Joining the name of an adult-only room never reaches the adult room.
    teen.send("JOIN #rencontres").await;
    let names = teen.numeric("353").await;
    assert!(!names.contains("Marcel"), "{names}");
    adult.say("paris", "entre adultes").await;
    adult.say("rencontres", "toujours entre adultes").await;
    let lines = teen.lines_before_sync().await;
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("Marcel") && !l.contains("adultes")),
        "{lines:?}"
    );
    // And the adult never hears of the teen.
    let teen_id_hint = "Lucas";
    let seen = adult
        .assert_none_before_pong("the teen", |e| {
            serde_json::to_string(e).unwrap().contains(teen_id_hint)
        })
        .await;
    drop(seen);
    server.shutdown().await;
}

#[tokio::test]
async fn a_server_shutdown_tells_irc_clients() {
    let server = TestServer::start().await;
    let mut client = server.irc_user("Fidele", "30 H 75").await;
    let closing = tokio::spawn(async move {
        let line = client.expect("ERROR", |l| l.starts_with("ERROR")).await;
        let mut after = Vec::new();
        while let Some(line) = client.next_line().await {
            after.push(line);
        }
        (line, after)
    });
    server.shutdown().await;
    let (line, after) = closing.await.unwrap();
    assert!(line.contains("restarting"), "{line}");
    // Only what was already queued (the registration replies) came; then the end.
    assert!(after.iter().all(|l| !l.starts_with("ERROR")), "{after:?}");
}

/// Registers with capabilities negotiated first.
async fn irc_with_caps(server: &TestServer, nick: &str, caps: &str) -> crate::support::IrcClient {
    let mut client = server.irc().await;
    client.nick = nick.to_owned();
    client.send(&format!("CAP REQ :{caps}")).await;
    client.send(&format!("NICK {nick}")).await;
    client.send(&format!("USER {nick} 0 * :30 H 75")).await;
    client.expect("ACK", |l| l.contains(" ACK ")).await;
    client.send("CAP END").await;
    client.numeric("376").await;
    client
}

#[tokio::test]
async fn operators_kick_ban_invite_and_lock_their_channel() {
    let server = TestServer::start().await;
    let mut op = irc_with_caps(&server, "Chef", "invite-notify").await;
    let mut guest = server.irc_user("Invite", "30 H 75").await;
    let mut troll = server.irc_user("Troll42", "30 H 75").await;
    op.send("JOIN #club").await;
    op.numeric("366").await;
    for client in [&mut guest, &mut troll] {
        client.send("JOIN #club").await;
        client.numeric("366").await;
    }

    // Voice and operator status show as MODE to the channel.
    op.send("MODE #club +v Invite").await;
    troll
        .expect("+v", |l| l.contains("MODE #club +v Invite"))
        .await;
    op.send("MODE #club +o Invite").await;
    troll
        .expect("+o", |l| l.contains("MODE #club +o Invite"))
        .await;
    op.send("MODE #club -o Invite").await;
    troll
        .expect("-o", |l| l.contains("MODE #club -o Invite"))
        .await;
    troll.send("MODE #club +o Troll42").await;
    troll.numeric("482").await;

    // Ban and kick: the troll is out and cannot come back.
    op.send("MODE #club +b troll*").await;
    op.expect("the ban echo", |l| l.contains("MODE #club +b troll*"))
        .await;
    op.send("MODE #club b").await;
    assert!(op.numeric("367").await.contains("troll*"));
    op.numeric("368").await;
    op.send("KICK #club Troll42 :dehors").await;
    troll
        .expect("the kick", |l| l.contains("KICK #club Troll42 :dehors"))
        .await;
    guest
        .expect("the kick", |l| l.contains("KICK #club Troll42 :dehors"))
        .await;
    troll.send("JOIN #club").await;
    troll.numeric("474").await;
    troll.send("KICK #club Chef").await;
    troll.numeric("442").await;
    // By nickname: someone out of the channel, and nobody at all.
    op.send("KICK #club Troll42").await;
    assert!(op.numeric("441").await.contains("Troll42 #club"));
    op.send("KICK #club Personne").await;
    assert!(op.numeric("401").await.contains("Personne"));
    op.send("MODE #club +v Troll42").await;
    assert!(op.numeric("441").await.contains("Troll42 #club"));
    op.send("MODE #club +o Personne").await;
    assert!(op.numeric("401").await.contains("Personne"));

    // Invite-only with a key: only the invited get in.
    op.send("MODE #club +ik sesame").await;
    guest.expect("+i", |l| l.contains("MODE #club +i")).await;
    let mut late = server.irc_user("Retard", "30 H 75").await;
    late.send("JOIN #club").await;
    late.numeric("473").await;
    op.send("MODE #club -i").await;
    guest.expect("-i", |l| l.contains("MODE #club -i")).await;
    late.send("JOIN #club wrong").await;
    late.numeric("475").await;
    late.send("JOIN #club sesame").await;
    late.numeric("366").await;
    late.send("PART #club").await;
    late.expect("my part", |l| {
        l.starts_with(":Retard!") && l.contains("PART")
    })
    .await;
    op.send("MODE #club +i").await;
    op.send("INVITE Retard #club").await;
    let inviting = op.numeric("341").await;
    assert!(
        inviting.contains(" Retard ") && inviting.ends_with("#club"),
        "{inviting}"
    );
    late.expect("the invitation", |l| l.contains("INVITE Retard #club"))
        .await;
    // invite-notify: the operator also sees invitations in the channel.
    op.expect("invite-notify", |l| {
        l.starts_with(":Chef!") && l.contains("INVITE Retard #club")
    })
    .await;
    late.send("JOIN #club").await;
    late.numeric("366").await;
    // An invite exception lets a matching nickname in without an invitation
    // (the key still applies: take it off first).
    op.send("MODE #club -k").await;
    late.expect("-k", |l| l.contains("MODE #club -k")).await;
    op.send("MODE #club +I ami*").await;
    op.expect("the exception echo", |l| l.contains("MODE #club +I ami*"))
        .await;
    let mut friend = server.irc_user("Amical", "30 H 75").await;
    friend.send("JOIN #club").await;
    friend.numeric("366").await;
    op.send("MODE #club I").await;
    assert!(op.numeric("346").await.contains("ami*"));
    op.numeric("347").await;
    server.shutdown().await;
}

#[tokio::test]
async fn away_whowas_and_chathistory() {
    let server = TestServer::start().await;
    let mut watcher = irc_with_caps(
        &server,
        "Veilleur",
        "away-notify batch draft/chathistory server-time",
    )
    .await;
    let mut sleeper = server.irc_user("Dormeur", "30 H 75").await;
    for client in [&mut watcher, &mut sleeper] {
        client.send("JOIN #nantes").await;
        client.numeric("366").await;
    }
    sleeper.send("AWAY :je reviens").await;
    sleeper.numeric("306").await;
    watcher
        .expect("away-notify", |l| {
            l.starts_with(":Dormeur!") && l.contains("AWAY :je reviens")
        })
        .await;
    watcher.send("WHOIS Dormeur").await;
    assert!(watcher.numeric("301").await.ends_with(":je reviens"));
    sleeper.send("AWAY").await;
    sleeper.numeric("305").await;
    watcher
        .expect("back", |l| {
            l.starts_with(":Dormeur!") && l.ends_with("AWAY")
        })
        .await;

    for n in 1..=5 {
        sleeper.send(&format!("PRIVMSG #nantes :message {n}")).await;
        watcher
            .expect("the message", |l| l.ends_with(&format!("message {n}")))
            .await;
    }
    let _ = watcher.lines_before_sync().await;
    watcher.send("CHATHISTORY LATEST #nantes * 3").await;
    let start = watcher
        .expect("the batch", |l| {
            l.contains("BATCH +") && l.contains("chathistory #nantes")
        })
        .await;
    let reference = start
        .split_whitespace()
        .find_map(|w| w.strip_prefix('+'))
        .unwrap()
        .to_owned();
    let mut bodies = Vec::new();
    loop {
        let line = watcher.next_line().await.unwrap();
        if line.contains(&format!("BATCH -{reference}")) {
            break;
        }
        assert!(
            line.contains(&format!("batch={reference}")) && line.contains("msgid="),
            "{line}"
        );
        bodies.push(line.rsplit(" :").next().unwrap().to_owned());
    }
    assert_eq!(bodies, ["message 3", "message 4", "message 5"]);

    drop(sleeper);
    watcher
        .expect("the quit", |l| {
            l.starts_with(":Dormeur!") && l.contains(" QUIT ")
        })
        .await;
    watcher.send("WHOWAS Dormeur").await;
    assert!(
        watcher
            .numeric("314")
            .await
            .contains("Dormeur ~guest tchatche * :30 H 75")
    );
    watcher.numeric("369").await;
    watcher.send("WHOWAS Personne").await;
    watcher.numeric("406").await;
    server.shutdown().await;
}

#[tokio::test]
async fn labeled_responses() {
    let server = TestServer::start().await;
    let mut client = irc_with_caps(
        &server,
        "Etiquette",
        "labeled-response batch echo-message message-tags",
    )
    .await;
    // One line: the label on it.
    client.send("@label=a1 PING :x").await;
    let pong = client.expect("the PONG", |l| l.contains("PONG")).await;
    assert!(pong.starts_with("@label=a1 "), "{pong}");
    // Several lines: a labeled-response batch.
    client.send("@label=a2 MOTD").await;
    let start = client
        .expect("the batch", |l| l.contains("labeled-response"))
        .await;
    assert!(
        start.starts_with("@label=a2 ") && start.contains("BATCH +"),
        "{start}"
    );
    client.numeric("376").await;
    // A JOIN's answer (JOIN, topic, names) is one labeled batch too.
    client.send("@label=a3 JOIN #bordeaux").await;
    let joined = client
        .expect("the join batch", |l| l.starts_with("@label=a3"))
        .await;
    assert!(joined.contains("BATCH +"), "{joined}");
    client.numeric("366").await;
    // With echo-message the echo carries the label.
    client.send("@label=a4 PRIVMSG #bordeaux :étiqueté").await;
    let echo = client
        .expect("the echo", |l| l.contains("PRIVMSG #bordeaux"))
        .await;
    assert!(echo.starts_with("@label=a4;"), "{echo}");
    client.send("@label=a5 AWAY :absent").await;
    let away = client.expect("306", |l| l.contains(" 306 ")).await;
    assert!(away.starts_with("@label=a5 "), "{away}");
    // A command with nothing to say gets an ACK.
    client.send("@label=a6 PONG :rien").await;
    let ack = client.expect("the ACK", |l| l.contains(" ACK")).await;
    assert!(ack.starts_with("@label=a6 "), "{ack}");
    server.shutdown().await;
}

#[tokio::test]
async fn list_filters_by_creation_and_topic_time() {
    let server = TestServer::start().await;
    let mut client = server.irc_user("Lister", "30 H 75").await;
    client.send("JOIN #tout-neuf").await;
    client.numeric("366").await;
    client.send("TOPIC #tout-neuf :frais").await;
    client
        .expect("topic", |l| l.contains("TOPIC #tout-neuf"))
        .await;
    // Created less than 5 minutes ago, topic set less than 5 minutes ago: only ours.
    client.send("LIST C<5,T<5").await;
    let mut listed = Vec::new();
    loop {
        let line = client.next_line().await.unwrap();
        if line.contains(" 323 ") {
            break;
        }
        if line.contains(" 322 ") {
            listed.push(line);
        }
    }
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].contains("#tout-neuf"));
    client.send("LIST C>5").await;
    client.numeric("321").await;
    let next = client.next_line().await.unwrap();
    assert!(
        next.contains(" 323 "),
        "nothing is older than 5 minutes: {next}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn irc_over_tls_reaches_the_same_rooms() {
    use std::sync::Arc;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio_rustls::rustls;

    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, certified.cert.pem()).unwrap();
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
    let (cert, key) = (
        cert_path.display().to_string(),
        key_path.display().to_string(),
    );
    let server = TestServer::start_with(move |config| {
        config.irc.tls_addr = "127.0.0.1:0".parse().unwrap();
        config.irc.tls_cert = cert;
        config.irc.tls_key = key;
    })
    .await;
    let mut plain = server.irc_user("EnClair", "30 H 75").await;
    plain.send("JOIN #lille").await;
    plain.numeric("366").await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config));
    let tcp = tokio::net::TcpStream::connect(server.irc_tls_addr())
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let stream = connector.connect(name, tcp).await.expect("TLS handshake");
    let (read, mut write) = tokio::io::split(stream);
    let mut lines = BufReader::new(read).lines();
    write
        .write_all(
            b"NICK Chiffre\r\nUSER c 0 * :30 F 59\r\nJOIN #lille\r\nPRIVMSG #lille :secret\r\n",
        )
        .await
        .unwrap();
    write.flush().await.unwrap();
    let mut saw_welcome = false;
    loop {
        let line = tokio::time::timeout(crate::support::WAIT, lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        saw_welcome |= line.contains(" 001 Chiffre ");
        if line.contains(" 366 ") {
            break;
        }
    }
    assert!(saw_welcome);
    plain
        .expect("the TLS user's message", |l| {
            l.starts_with(":Chiffre!") && l.ends_with(":secret")
        })
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn replies_come_in_the_order_of_the_commands() {
    let server = TestServer::start().await;
    let mut client = server.irc().await;
    client.nick = "Ordonne".into();
    // What irssi and others send at once: registration, a join, and the
    // queries that follow it.
    client
        .send_bytes(b"NICK Ordonne\r\nUSER o 0 * :30 H 75\r\nMODE Ordonne +i\r\nJOIN #ordre\r\nMODE #ordre\r\nWHO #ordre\r\nMODE #ordre b\r\nPING :fin\r\n")
        .await;
    let mut lines = Vec::new();
    loop {
        let line = client.next_line().await.expect("connected");
        let done = line.ends_with("fin");
        lines.push(line);
        if done {
            break;
        }
    }
    let position = |pattern: &str| {
        lines
            .iter()
            .position(|l| l.contains(pattern))
            .unwrap_or_else(|| panic!("{pattern} missing from {lines:?}"))
    };
    let order = [
        " 001 ",
        "MODE Ordonne",
        "JOIN #ordre",
        " 366 ",
        " 324 ",
        " 352 ",
        " 315 ",
        " 368 ",
        "PONG",
    ];
    let positions: Vec<usize> = order.iter().map(|pattern| position(pattern)).collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{order:?} at {positions:?} in {lines:?}"
    );
    // MODE answered after the join knows the channel: its creator is operator.
    assert!(lines[position(" 324 ")].contains("+nt"));
    server.shutdown().await;
}

/// A test for [`IrcClient::pipeline`]: done once `count` labeled responses
/// have come and the last batch has ended, or the server said ERROR.
/// Looks at the newest line only, so that reading stays linear.
fn labeled_answers(count: usize) -> impl FnMut(&[String]) -> bool {
    let mut labeled = 0;
    move |lines| {
        let Some(last) = lines.last() else {
            return false;
        };
        if last.starts_with('@')
            && last
                .split(' ')
                .next()
                .is_some_and(|tags| tags.contains("label="))
        {
            labeled += 1;
        }
        last.starts_with("ERROR") || (labeled == count && last.contains("BATCH -"))
    }
}

/// The labels of the labeled responses among `lines`, in order.
fn labels(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|line| {
            let tags = line.strip_prefix('@')?.split(' ').next()?;
            tags.split(';')
                .find_map(|tag| tag.strip_prefix("label="))
                .map(str::to_owned)
        })
        .collect()
}

/// Regression (issue 11, item 4): lines sent in one write are handled in
/// order however many there are; the gateway stops reading the socket
/// while a command waits for the hub rather than skipping the queue.
#[tokio::test]
async fn pipelined_lines_keep_their_order() {
    let server = TestServer::start().await;
    let mut alice = server.irc_user("Alice", "25 F 75").await;
    let mut bob = server.irc_user("Bob", "30 H 69").await;
    for client in [&mut alice, &mut bob] {
        client.send("JOIN #paris").await;
        client.numeric("366").await;
    }
    let burst: String = (0..300)
        .map(|n| format!("PRIVMSG #paris :m{n}\r\n"))
        .collect();
    alice.send_bytes(burst.as_bytes()).await;
    let mut bodies = Vec::new();
    while bodies.len() < 300 {
        let line = bob
            .expect("a message", |l| l.contains("PRIVMSG #paris :m"))
            .await;
        bodies.push(line.rsplit(':').next().unwrap_or_default().to_owned());
    }
    let expected: Vec<String> = (0..300).map(|n| format!("m{n}")).collect();
    assert_eq!(bodies, expected);

    // Labeled queries in one write: their answers come back in order.
    alice.send("CAP REQ :labeled-response batch").await;
    alice.expect("ACK", |l| l.contains(" ACK ")).await;
    let burst: String = (0..300)
        .map(|n| format!("@label=w{n} WHOIS Bob\r\n"))
        .collect();
    let lines = alice.pipeline(burst.as_bytes(), labeled_answers(300)).await;
    let expected: Vec<String> = (0..300).map(|n| format!("w{n}")).collect();
    assert_eq!(labels(&lines), expected);
    server.shutdown().await;
}

/// Regression (issue 11, item 5): a client that pipelines thousands of
/// commands is slowed down and answered, not dropped without a word.
#[tokio::test]
async fn thousands_of_pipelined_commands_are_all_answered() {
    let server = TestServer::start().await;
    let mut alice = server.irc_user("Alice", "25 F 75").await;
    let _bob = server.irc_user("Bob", "30 H 69").await;
    alice.send("CAP REQ :labeled-response batch").await;
    alice.expect("ACK", |l| l.contains(" ACK ")).await;
    let burst: String = (0..3000)
        .map(|n| format!("@label=w{n} WHOIS Bob\r\n"))
        .collect();
    let lines = alice
        .pipeline(burst.as_bytes(), labeled_answers(3000))
        .await;
    assert!(
        lines.iter().all(|l| !l.starts_with("ERROR")),
        "{:?}",
        lines.iter().find(|l| l.starts_with("ERROR"))
    );
    let expected: Vec<String> = (0..3000).map(|n| format!("w{n}")).collect();
    assert_eq!(labels(&lines), expected);
    // Still connected, and still answering.
    alice.send("PING :encore").await;
    alice.expect("the PONG", |l| l.contains("PONG")).await;
    server.shutdown().await;
}

/// Regression (issue 11, item 6): many clients joining a channel that does
/// not exist yet all end up in it: the hub creates and joins in one step.
#[tokio::test]
async fn clients_joining_a_new_channel_at_once_all_get_in() {
    let server = TestServer::start().await;
    let mut clients = Vec::new();
    for n in 0..50 {
        clients.push(server.irc_user(&format!("Nouveau{n}"), "25 F 75").await);
    }
    for client in &mut clients {
        client.send("JOIN #idle7").await;
    }
    for client in &mut clients {
        let nick = client.nick.clone();
        let answer = client
            .expect("the JOIN or a refusal", |l| {
                l.starts_with(&format!(":{nick}!")) && l.contains(" JOIN ") || l.contains(" 403 ")
            })
            .await;
        assert!(answer.contains("JOIN #idle7"), "{nick}: {answer}");
    }
    // The web's `join` with `create` works the same way.
    let mut web = Vec::new();
    for n in 0..10 {
        web.push(server.guest(&format!("Toile{n}"), 30).await);
    }
    let mut sent = Vec::new();
    for client in &mut web {
        sent.push(
            client
                .send(json!({"type": "join", "room": "neuf", "create": true}))
                .await,
        );
    }
    for (client, req) in web.iter_mut().zip(sent) {
        let reply = client
            .expect("the reply", |event| event.req() == Some(req))
            .await;
        assert!(
            matches!(&reply, Event::Joined { room, .. } if room.slug == "neuf"),
            "{reply:?}"
        );
    }
    // Without `create`, a missing room stays missing.
    let reply = web[0]
        .request(json!({"type": "join", "room": "absent"}))
        .await;
    assert_eq!(crate::support::error_code(&reply), "room_not_found");
    server.shutdown().await;
}

/// Regression (issue 11, item 11): numerics keep their parameters in place,
/// and a line without a command is said to be one.
#[tokio::test]
async fn an_unknown_invitee_and_a_line_without_a_command_are_answered_precisely() {
    let server = TestServer::start().await;
    let mut alice = server.irc_user("Alice", "25 F 75").await;
    alice.send("JOIN #paris").await;
    alice.numeric("366").await;
    alice.send("INVITE Personne #paris").await;
    let refusal = alice.numeric("401").await;
    assert_eq!(
        refusal,
        ":tchatche 401 Alice Personne :No such nick/channel"
    );
    alice.send("@a=b").await;
    let fail = alice.expect("the FAIL", |l| l.contains("FAIL")).await;
    assert!(
        fail.starts_with(":tchatche FAIL * INVALID_MESSAGE "),
        "{fail}"
    );
    server.shutdown().await;
}
