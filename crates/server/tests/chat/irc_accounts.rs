//! Members over IRC: SASL PLAIN (success, and every way it fails), PASS,
//! and the account capabilities (`account-tag`, `account-notify`, the
//! account in `extended-join` and WHOIS 330).

use base64::Engine;
use serde_json::json;

use crate::support::{IrcClient, TestServer, cheap_hashing_server};

const PASSWORD: &str = "le chat de Zoé dort";

/// The SASL PLAIN payload for `account` and `password`, in base64.
fn plain(account: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{account}\0{password}"))
}

/// Starts registration with capability negotiation and the given caps; it
/// ends with `CAP END`.
async fn negotiating(server: &TestServer, nick: &str, realname: &str, caps: &str) -> IrcClient {
    let mut client = server.irc().await;
    client.nick = nick.to_owned();
    client.send("CAP LS 302").await;
    let list = client.expect("CAP LS", |l| l.contains(" LS ")).await;
    for cap in ["sasl=PLAIN", "account-tag", "account-notify"] {
        assert!(list.contains(cap), "{cap} missing from {list}");
    }
    client.send(&format!("CAP REQ :{caps}")).await;
    client.expect("ACK", |l| l.contains(" ACK ")).await;
    client.send(&format!("NICK {nick}")).await;
    client.send(&format!("USER {nick} 0 * :{realname}")).await;
    client
}

/// Runs `AUTHENTICATE PLAIN` with these base64 lines, returning the numeric
/// line that ends it.
async fn sasl(client: &mut IrcClient, lines: &[&str]) -> String {
    client.send("AUTHENTICATE PLAIN").await;
    client
        .expect("AUTHENTICATE +", |l| l == "AUTHENTICATE +")
        .await;
    for line in lines {
        client.send(&format!("AUTHENTICATE {line}")).await;
    }
    client
        .expect("the SASL outcome", |l| {
            [" 903 ", " 904 ", " 905 ", " 906 ", " 907 "]
                .iter()
                .any(|code| l.contains(code))
        })
        .await
}

/// Ends capability negotiation and waits for the welcome, asking for the
/// nickname again while a connection the test dropped still holds it.
async fn welcomed_as(client: &mut IrcClient, nick: &str) -> String {
    client.send("CAP END").await;
    client.welcome_once_free(nick).await
}

#[tokio::test]
async fn sasl_logs_a_member_in_and_the_account_shows_everywhere() {
    let server = cheap_hashing_server().await;
    let (web_alice, _) = server.member("Alice", 25, PASSWORD).await;
    drop(web_alice);
    let mut watcher = negotiating(
        &server,
        "Watcher",
        "30 H 69",
        "extended-join account-tag account-notify",
    )
    .await;
    watcher.send("CAP END").await;
    watcher.numeric("001").await;
    watcher.send("JOIN #paris").await;
    watcher.numeric("366").await;

    // A member needs no profile in the real name.
    let mut alice = negotiating(&server, "Alice", "Alice", "sasl extended-join account-tag").await;
    let outcome = sasl(&mut alice, &[&plain("Alice", PASSWORD)]).await;
    assert!(
        outcome.contains("SASL authentication successful"),
        "{outcome}"
    );
    let logged_in = alice.numeric("900").await;
    assert!(
        logged_in.contains(" Alice Alice!~guest@tchatche Alice :You are now logged in as Alice"),
        "{logged_in}"
    );
    let welcome = welcomed_as(&mut alice, "Alice").await;
    assert!(welcome.contains(" 001 Alice "), "{welcome}");
    alice.send("JOIN #paris").await;
    let own_join = alice
        .expect("my JOIN", |l| {
            l.starts_with(":Alice!") && l.contains("JOIN")
        })
        .await;
    assert_eq!(
        own_join,
        ":Alice!~guest@tchatche JOIN #paris Alice :25 H 75"
    );
    let seen = watcher
        .expect("Alice's JOIN", |l| {
            l.starts_with(":Alice!") && l.contains("JOIN")
        })
        .await;
    assert_eq!(seen, ":Alice!~guest@tchatche JOIN #paris Alice :25 H 75");

    alice.send("PRIVMSG #paris :bonjour").await;
    let message = watcher
        .expect("the message", |l| l.contains("PRIVMSG #paris :bonjour"))
        .await;
    assert!(message.contains("account=Alice"), "{message}");
    watcher.send("PRIVMSG #paris :salut").await;
    let message = alice
        .expect("the guest's message", |l| {
            l.contains("PRIVMSG #paris :salut")
        })
        .await;
    assert!(!message.contains("account="), "{message}");

    watcher.send("WHOIS Alice").await;
    let account = watcher.numeric("330").await;
    assert!(
        account.contains(" Alice Alice :is logged in as"),
        "{account}"
    );
    watcher.numeric("318").await;
    alice.send("WHOIS Watcher").await;
    let lines = alice.lines_before_sync().await;
    assert!(
        !lines.iter().any(|l| l.contains(" 330 ")),
        "a guest has no account: {lines:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn sasl_failures_are_numerics_and_registration_goes_on() {
    let server = cheap_hashing_server().await;
    let (_alice, _) = server.member("Alice", 25, PASSWORD).await;
    let mut client = negotiating(&server, "Mallory", "30 H 75", "sasl").await;

    let wrong = sasl(&mut client, &[&plain("Alice", "pas le bon mot")]).await;
    assert!(wrong.contains(" 904 "), "{wrong}");
    let unknown = sasl(&mut client, &[&plain("Personne", PASSWORD)]).await;
    assert!(unknown.contains(" 904 "), "{unknown}");
    let aborted = sasl(&mut client, &["*"]).await;
    assert!(aborted.contains(" 906 "), "{aborted}");
    let too_long = sasl(&mut client, &[&"A".repeat(401)]).await;
    assert!(too_long.contains(" 905 "), "{too_long}");
    let garbage = sasl(&mut client, &["not base64!"]).await;
    assert!(garbage.contains(" 904 "), "{garbage}");
    client.send("AUTHENTICATE EXTERNAL").await;
    let mechanisms = client.numeric("908").await;
    assert!(mechanisms.contains(" PLAIN :"), "{mechanisms}");
    client.numeric("904").await;

    // Still a guest: with a profile, registration goes on.
    client.send("CAP END").await;
    let welcome = client.numeric("001").await;
    assert!(welcome.contains(" 001 Mallory "), "{welcome}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_registered_only_channel_needs_an_account() {
    let server = crate::support::cheap_hashing_server_with(|config| {
        config.rooms.push(crate::support::members_only_room());
    })
    .await;
    let mut guest = server.irc_user("Invite", "30 H 75").await;
    guest.send("JOIN #membres").await;
    let refusal = guest.numeric("477").await;
    assert!(refusal.contains("#membres"), "{refusal}");
    let (alice, _) = server.member("Alice", 25, PASSWORD).await;
    drop(alice);
    let mut member = negotiating(&server, "Alice", "Alice", "sasl").await;
    let outcome = sasl(&mut member, &[&plain("Alice", PASSWORD)]).await;
    assert!(outcome.contains(" 903 "), "{outcome}");
    welcomed_as(&mut member, "Alice").await;
    member.send("JOIN #membres").await;
    member
        .expect("the JOIN", |l| {
            l.starts_with(":Alice!") && l.contains("JOIN #membres")
        })
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_members_nickname_without_sasl_is_refused_like_a_taken_one() {
    let server = cheap_hashing_server().await;
    let (alice, _) = server.member("Alice", 25, PASSWORD).await;
    drop(alice);
    let mut client = server.irc().await;
    client.send("USER a 0 * :25 F 75").await;
    loop {
        client.send("NICK Alice").await;
        let refusal = client.numeric("433").await;
        if refusal.contains("registered member") {
            break;
        }
    }
    client.send("NICK Alice_").await;
    client.numeric("001").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_long_password_arrives_in_400_byte_chunks_and_pass_works_too() {
    let server = cheap_hashing_server().await;
    let long_password = "😀😃".repeat(60);
    let (alice, _) = server.member("Alice", 25, &long_password).await;
    drop(alice);
    let mut client = negotiating(&server, "Alice", "Alice", "sasl").await;
    let payload = plain("Alice", &long_password);
    assert!(payload.len() > 400);
    let (first, rest) = payload.split_at(400);
    let outcome = sasl(&mut client, &[first, rest]).await;
    assert!(outcome.contains(" 903 "), "{outcome}");

    // PASS account:password, with no SASL and no profile.
    let (bob, _) = server.member("Bob", 30, PASSWORD).await;
    drop(bob);
    let mut client = server.irc().await;
    // The password has spaces: it goes as the trailing parameter.
    client.send(&format!("PASS :Bob:{PASSWORD}")).await;
    client.send("NICK Bob").await;
    client.send("USER b 0 * :Bob").await;
    client.welcome_once_free("Bob").await;
    let mut wrong = server.irc().await;
    wrong.send("PASS Carole:pas le bon mot").await;
    wrong.send("NICK Carole").await;
    wrong.send("USER c 0 * :Carole").await;
    wrong.numeric("464").await;
    wrong.expect("the close", |l| l.starts_with("ERROR")).await;
    server.shutdown().await;
}

#[tokio::test]
async fn account_notify_tells_channel_peers_when_someone_registers_or_deletes() {
    let server = cheap_hashing_server().await;
    let mut irc = negotiating(&server, "Ircy", "30 H 69", "account-notify").await;
    irc.send("CAP END").await;
    irc.numeric("001").await;
    irc.send("JOIN #paris").await;
    irc.numeric("366").await;
    let mut bob = server.guest("Bob", 30).await;
    bob.join("paris").await;
    bob.register(PASSWORD).await;
    let line = irc.expect("ACCOUNT", |l| l.contains(" ACCOUNT ")).await;
    assert_eq!(line, ":Bob!~guest@tchatche ACCOUNT Bob");
    let deleted = bob
        .request(json!({"type": "delete_account", "password": PASSWORD}))
        .await;
    assert!(matches!(deleted, tchatche_protocol::Event::Ok { .. }));
    let line = irc.expect("ACCOUNT *", |l| l.contains(" ACCOUNT ")).await;
    assert_eq!(line, ":Bob!~guest@tchatche ACCOUNT *");
    server.shutdown().await;
}
