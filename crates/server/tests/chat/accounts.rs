//! Member accounts over WebSocket: registering a nickname, logging in from
//! another connection, wrong passwords and the throttle, recovery codes,
//! changing the password, deleting the account, registered-only rooms, and
//! accounts that survive a restart.

use serde_json::json;
use tchatche_protocol::Event;

use crate::support::{TestServer, cheap_hashing_server, cheap_hashing_server_with, error_code};

const PASSWORD: &str = "le chat de Zoé dort";

#[tokio::test]
async fn a_guest_registers_and_logs_in_again_from_another_connection() {
    let server = cheap_hashing_server().await;
    let mut alice = server.guest("Alice", 25).await;
    let reply = alice
        .request(json!({"type": "register", "password": PASSWORD, "email": " alice@example.org "}))
        .await;
    let Event::Registered {
        you,
        recovery_codes,
        ..
    } = reply
    else {
        panic!("register: {reply:?}");
    };
    assert!(you.member);
    assert_eq!(you.nick, "Alice");
    assert_eq!(recovery_codes.len(), 8);
    let mut distinct = recovery_codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 8, "{recovery_codes:?}");
    alice
        .refused(
            json!({"type": "register", "password": PASSWORD}),
            "already_member",
        )
        .await;
    drop(alice);

    // Another device: the nickname in another case, no profile, and the
    // stored profile comes back.
    let mut again = server.client().await;
    let reply = again
        .enter_once_free(
            json!({"type": "enter", "protocol": 1, "nickname": "ALICE", "password": PASSWORD}),
        )
        .await;
    match reply {
        Event::Entered { you, band, .. } => {
            assert!(you.member);
            assert_eq!((you.nick.as_str(), you.age), ("Alice", 25));
            assert_eq!(you.department.code(), "75");
            assert_eq!(band, tchatche_protocol::Band::Adult);
        }
        other => panic!("log in: {other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_member_cannot_change_band_by_giving_another_age() {
    let server = cheap_hashing_server().await;
    let (teen, _) = server.member("Zoe", 16, PASSWORD).await;
    drop(teen);
    let mut client = server.client().await;
    let reply = client
        .enter_once_free(json!({
            "type": "enter", "protocol": 1, "nickname": "Zoe", "password": PASSWORD,
            "age": 30, "gender": "femme", "department": "13",
        }))
        .await;
    match reply {
        Event::Entered { you, band, .. } => {
            assert_eq!(band, tchatche_protocol::Band::Teen);
            assert_eq!(you.age, 16);
            assert_eq!(you.gender, tchatche_protocol::Gender::Homme);
            assert_eq!(you.department.code(), "75");
        }
        other => panic!("{other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn guests_are_kept_off_members_nicknames_and_wrong_passwords_are_refused() {
    let server = cheap_hashing_server().await;
    let (alice, _) = server.member("Alice", 25, PASSWORD).await;
    drop(alice);
    // Online or not, a member's nickname needs the password.
    let mut guest = server.client().await;
    let reply = guest.enter("Alice", 30, "femme", "69").await;
    assert_eq!(error_code(&reply), "password_required");
    // Lookalikes of a member's nickname are the member's too.
    guest
        .refused(
            json!({"type": "enter", "protocol": 1, "nickname": "ALlCE", "age": 30, "gender": "femme", "department": "69"}),
            "password_required",
        )
        .await;
    let reply = guest
        .enter_once_free(
            json!({"type": "enter", "protocol": 1, "nickname": "Alice", "password": "pas le bon mot"}),
        )
        .await;
    assert_eq!(error_code(&reply), "wrong_password");
    guest
        .refused(
            json!({"type": "enter", "protocol": 1, "nickname": "Personne", "password": PASSWORD}),
            "account_not_found",
        )
        .await;
    let missing = guest
        .refused(
            json!({"type": "enter", "protocol": 1, "nickname": "Bob", "gender": "homme", "department": "69"}),
            "missing_field",
        )
        .await;
    let Event::Error(error) = missing else {
        unreachable!()
    };
    assert_eq!(error.detail.as_deref(), Some("age"));
    // Still able to enter under another nickname.
    let entered = guest.enter("Bob", 30, "homme", "69").await;
    assert!(matches!(entered, Event::Entered { ref you, .. } if !you.member));
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_passwords_lock_the_nickname_for_a_while() {
    let server = cheap_hashing_server_with(|config| {
        config.accounts.max_failed_logins_per_nickname = 3;
    })
    .await;
    let (alice, _) = server.member("Alice", 25, PASSWORD).await;
    let mut attacker = server.client().await;
    for _ in 0..3 {
        // `authenticate` checks the password even while she is online.
        attacker
            .login_refused("Alice", "devinette", "wrong_password")
            .await;
    }
    let locked = attacker
        .login_refused("Alice", PASSWORD, "too_many_attempts")
        .await;
    let Event::Error(error) = locked else {
        unreachable!()
    };
    let retry = error.retry_after_ms.expect("retry_after_ms");
    assert!(retry > 0 && retry <= 900_000, "{retry}");
    // Another nickname from the same address is not locked yet.
    let (bob, _) = server.member("Bob", 30, PASSWORD).await;
    drop(bob);
    drop(alice);
    server.shutdown().await;
}

/// Regression (issue 11, item 8): wrong passwords from one address lock
/// that address out of the nickname, not the member at their own address;
/// a slower limit holds for the nickname from everywhere.
#[tokio::test]
async fn guesses_from_elsewhere_do_not_lock_a_member_out() {
    let server = cheap_hashing_server_with(|config| {
        config.accounts.max_failed_logins_per_nickname = 3;
        config.accounts.max_failed_logins_per_nickname_anywhere = 6;
    })
    .await;
    let (alice, _) = server.member("Alice", 25, PASSWORD).await;
    drop(alice);
    let mut attacker = server.client().await;
    for _ in 0..3 {
        attacker
            .login_refused("Alice", "devinette", "wrong_password")
            .await;
    }
    attacker
        .login_refused("Alice", "devinette", "too_many_attempts")
        .await;
    // Alice, at home, still logs in with her password.
    let mut home = server.client_from([127, 0, 0, 2].into()).await;
    let entered = home
        .enter_once_free(json!({
            "type": "enter", "protocol": 1, "nickname": "Alice", "password": PASSWORD,
        }))
        .await;
    assert!(
        matches!(&entered, Event::Entered { you, .. } if you.member),
        "{entered:?}"
    );
    // Guessing spread over addresses meets the slower limit.
    for source in 3..=5 {
        let mut elsewhere = server.client_from([127, 0, 0, source].into()).await;
        elsewhere
            .login_refused("Alice", "devinette", "wrong_password")
            .await;
    }
    let mut late = server.client_from([127, 0, 0, 6].into()).await;
    late.login_refused("Alice", PASSWORD, "too_many_attempts")
        .await;
    server.shutdown().await;
}

/// Regression (issue 11, item 9): trying names that have no account counts
/// against the address like wrong passwords do.
#[tokio::test]
async fn names_without_an_account_are_throttled_per_address() {
    let server = cheap_hashing_server_with(|config| {
        config.accounts.max_failed_logins_per_ip = 5;
    })
    .await;
    let mut prober = server.client().await;
    for n in 0..5 {
        prober
            .login_refused(&format!("Inconnu{n}"), "x", "account_not_found")
            .await;
    }
    let locked = prober
        .login_refused("Inconnu9", "x", "too_many_attempts")
        .await;
    let Event::Error(error) = locked else {
        unreachable!()
    };
    assert!(error.retry_after_ms.is_some());
    // Another address is not concerned.
    let mut other = server.client_from([127, 0, 0, 2].into()).await;
    other
        .login_refused("Inconnu9", "x", "account_not_found")
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn attempts_at_once_cannot_slip_past_the_limit() {
    let server = cheap_hashing_server_with(|config| {
        config.accounts.max_failed_logins_per_nickname = 3;
    })
    .await;
    let (_alice, _) = server.member("Alice", 25, PASSWORD).await;
    let mut attackers = Vec::new();
    for _ in 0..6 {
        attackers.push(server.client().await);
    }
    // Each attempt counts as it starts, so however the answers and the
    // sends interleave, only three are tried.
    let mut sent = Vec::new();
    for attacker in &mut attackers {
        sent.push(
            attacker
                .send(json!({"type": "authenticate", "account": "Alice", "password": "devinette"}))
                .await,
        );
    }
    let mut codes = Vec::new();
    for (attacker, req) in attackers.iter_mut().zip(sent) {
        let reply = attacker
            .expect("the answer", |event| event.req() == Some(req))
            .await;
        codes.push(error_code(&reply));
    }
    codes.sort();
    assert_eq!(
        codes,
        [
            "too_many_attempts",
            "too_many_attempts",
            "too_many_attempts",
            "wrong_password",
            "wrong_password",
            "wrong_password"
        ]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_recovery_code_logs_in_once_and_allows_a_new_password() {
    let server = cheap_hashing_server().await;
    let (alice, codes) = server.member("Alice", 25, PASSWORD).await;
    drop(alice);
    let code = codes[3].to_lowercase().replace('-', " ");
    let mut phone = server.client().await;
    let reply = phone
        .enter_once_free(
            json!({"type": "enter", "protocol": 1, "nickname": "Alice", "recovery_code": code}),
        )
        .await;
    assert!(
        matches!(reply, Event::Entered { ref you, .. } if you.member),
        "{reply:?}"
    );
    // Right after a recovery login, no current password is needed.
    let changed = phone
        .request(json!({"type": "change_password", "new_password": "trois petits chats gris"}))
        .await;
    assert!(matches!(changed, Event::Ok { .. }), "{changed:?}");
    // ...but only once: the next change needs it.
    phone
        .refused(
            json!({"type": "change_password", "new_password": "quatre petits chats gris"}),
            "missing_field",
        )
        .await;
    drop(phone);

    let mut other = server.client().await;
    let reply = other
        .enter_once_free(
            json!({"type": "enter", "protocol": 1, "nickname": "Alice", "recovery_code": codes[3]}),
        )
        .await;
    assert_eq!(
        error_code(&reply),
        "wrong_recovery_code",
        "a code works once"
    );
    other
        .refused(
            json!({"type": "enter", "protocol": 1, "nickname": "Alice", "password": PASSWORD}),
            "wrong_password",
        )
        .await;
    let entered = other.enter_member("Alice", "trois petits chats gris").await;
    assert!(
        matches!(entered, Event::Entered { ref you, .. } if you.member),
        "{entered:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn passwords_follow_the_rules_and_change_with_the_current_one() {
    let server = cheap_hashing_server().await;
    let mut alice = server.guest("Alice", 25).await;
    let short = alice
        .refused(
            json!({"type": "register", "password": "court"}),
            "password_too_short",
        )
        .await;
    let Event::Error(error) = short else {
        unreachable!()
    };
    assert_eq!(error.detail.as_deref(), Some("minimum 10"));
    alice
        .refused(
            json!({"type": "register", "password": "moi c'est alice !"}),
            "password_too_weak",
        )
        .await;
    alice
        .refused(
            json!({"type": "register", "password": "x".repeat(129)}),
            "password_too_long",
        )
        .await;
    alice
        .refused(
            json!({"type": "register", "password": PASSWORD, "email": "alice at home"}),
            "email_invalid",
        )
        .await;
    alice
        .refused(
            json!({"type": "change_password", "current": PASSWORD, "new_password": "trois petits chats gris"}),
            "not_member",
        )
        .await;
    alice.register(PASSWORD).await;
    alice
        .refused(
            json!({"type": "change_password", "current": "pas le bon mot", "new_password": "trois petits chats gris"}),
            "wrong_password",
        )
        .await;
    alice
        .refused(
            json!({"type": "change_password", "new_password": "trois petits chats gris"}),
            "missing_field",
        )
        .await;
    let changed = alice
        .request(json!({"type": "change_password", "current": PASSWORD, "new_password": "trois petits chats gris"}))
        .await;
    assert!(matches!(changed, Event::Ok { .. }), "{changed:?}");
    drop(alice);
    let mut again = server.client().await;
    let reply = again
        .enter_once_free(
            json!({"type": "enter", "protocol": 1, "nickname": "Alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(error_code(&reply), "wrong_password", "the old password");
    let entered = again.enter_member("Alice", "trois petits chats gris").await;
    assert!(matches!(entered, Event::Entered { .. }), "{entered:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn deleting_an_account_frees_the_nickname_and_tells_the_room() {
    let server = cheap_hashing_server().await;
    let (mut alice, _) = server.member("Alice", 25, PASSWORD).await;
    let mut bob = server.guest("Bob", 30).await;
    alice.join("paris").await;
    bob.join("paris").await;
    alice
        .refused(
            json!({"type": "delete_account", "password": "pas le bon mot"}),
            "wrong_password",
        )
        .await;
    let deleted = alice
        .request(json!({"type": "delete_account", "password": PASSWORD}))
        .await;
    assert!(matches!(deleted, Event::Ok { .. }), "{deleted:?}");
    let change = bob
        .expect("account_changed", |event| {
            matches!(event, Event::AccountChanged { .. })
        })
        .await;
    assert!(
        matches!(change, Event::AccountChanged { ref user, member: false } if user.nick == "Alice" && !user.member),
        "{change:?}"
    );
    alice
        .refused(
            json!({"type": "delete_account", "password": PASSWORD}),
            "not_member",
        )
        .await;
    drop(alice);
    // Once she left, anyone may take the nickname as a guest.
    let mut guest = server.client().await;
    let reply = guest
        .enter_once_free(json!({"type": "enter", "protocol": 1, "nickname": "Alice", "age": 40, "gender": "femme", "department": "13"}))
        .await;
    assert!(
        matches!(reply, Event::Entered { ref you, .. } if !you.member),
        "{reply:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn registering_tells_the_room_and_marks_messages() {
    let server = cheap_hashing_server().await;
    let mut alice = server.guest("Alice", 25).await;
    let mut bob = server.guest("Bob", 30).await;
    alice.join("paris").await;
    bob.join("paris").await;
    alice.register(PASSWORD).await;
    let change = bob
        .expect("account_changed", |event| {
            matches!(event, Event::AccountChanged { .. })
        })
        .await;
    assert!(
        matches!(change, Event::AccountChanged { ref user, member: true } if user.id == alice.id && user.member),
        "{change:?}"
    );
    alice.say("paris", "je suis membre").await;
    let message = bob.expect_message("paris", "je suis membre").await;
    assert!(message.author.member);
    bob.say("paris", "pas moi").await;
    let message = alice.expect_message("paris", "pas moi").await;
    assert!(!message.author.member);
    // The user list shows who is a member.
    let list = bob.request(json!({"type": "users"})).await;
    let Event::UserList { users, .. } = list else {
        panic!("{list:?}")
    };
    let member_of = |nick: &str| users.iter().find(|u| u.nick == nick).map(|u| u.member);
    assert_eq!(member_of("Alice"), Some(true));
    assert_eq!(member_of("Bob"), Some(false));
    server.shutdown().await;
}

#[tokio::test]
async fn registered_only_rooms_admit_members_only() {
    let server = cheap_hashing_server_with(|config| {
        config.rooms.push(crate::support::members_only_room());
    })
    .await;
    let mut guest = server.guest("Bob", 30).await;
    guest
        .refused(
            json!({"type": "join", "room": "membres"}),
            "room_registered_only",
        )
        .await;
    let (mut alice, _) = server.member("Alice", 25, PASSWORD).await;
    alice.join("membres").await;
    server.shutdown().await;
}

#[tokio::test]
async fn commands_sent_during_a_login_are_answered_after_it_in_order() {
    let server = cheap_hashing_server().await;
    let (alice, _) = server.member("Alice", 25, PASSWORD).await;
    drop(alice);
    let mut client = server.client().await;
    loop {
        let enter = client
            .send(
                json!({"type": "enter", "protocol": 1, "nickname": "Alice", "password": PASSWORD}),
            )
            .await;
        let join = client.send(json!({"type": "join", "room": "paris"})).await;
        let first = client
            .expect("the entry reply", |event| event.req() == Some(enter))
            .await;
        let second = client
            .expect("the join reply", |event| event.req() == Some(join))
            .await;
        match first {
            Event::Entered { .. } => {
                assert!(matches!(second, Event::Joined { .. }), "{second:?}");
                break;
            }
            // The first connection's close had not reached the hub yet.
            ref refused if error_code(refused) == "nickname_taken" => {
                assert_eq!(error_code(&second), "not_entered");
            }
            other => panic!("{other:?}"),
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn accounts_survive_a_restart() {
    // The default hashing cost, as in production.
    let server = TestServer::start().await;
    let (alice, codes) = server.member("Alice", 25, PASSWORD).await;
    drop(alice);
    let server = server.restart().await;
    let mut guest = server.client().await;
    guest
        .refused(
            json!({"type": "enter", "protocol": 1, "nickname": "Alice", "age": 30, "gender": "femme", "department": "75"}),
            "password_required",
        )
        .await;
    let alice = server.logged_in("Alice", PASSWORD).await;
    drop(alice);
    let mut again = server.client().await;
    let reply = again
        .enter_once_free(
            json!({"type": "enter", "protocol": 1, "nickname": "Alice", "recovery_code": codes[0]}),
        )
        .await;
    assert!(
        matches!(reply, Event::Entered { ref you, .. } if you.member),
        "{reply:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_member_can_enter_without_the_directory_after_the_password_check() {
    let server = cheap_hashing_server().await;
    let (first, _) = server.member("Sans_Annuaire", 30, PASSWORD).await;
    drop(first);
    let mut client = server.client().await;
    let reply = client
        .enter_once_free(json!({
            "type": "enter", "protocol": 1, "nickname": "Sans_Annuaire",
            "password": PASSWORD, "directory": false,
        }))
        .await;
    match reply {
        Event::Entered { you, rooms, .. } => {
            assert!(you.member);
            assert!(rooms.is_empty(), "{} rooms", rooms.len());
        }
        other => panic!("{other:?}"),
    }
    server.shutdown().await;
}
