//! What the server says of itself: PING, VERSION, LINKS, MOTD, and the
//! ISUPPORT tokens of the welcome burst.

use tchatche_protocol::Event;

use super::*;

#[test]
fn ping_is_answered_with_its_token_even_before_registration() {
    let mut session = Session::new(settings());
    session.on_line("PING :abc");
    session.on_line("PONG :abc");
    assert_eq!(take_lines(&mut session), [":srv PONG srv abc"]);
}

#[test]
fn version_links_and_motd() {
    let mut session = entered();
    session.on_line("VERSION");
    session.on_line("LINKS");
    session.on_line("MOTD");
    let version = concat!("tchatche-", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        take_lines(&mut session),
        [
            format!(":srv 351 alice {version} srv :IRC gateway of tchatche"),
            ":srv 364 alice * srv srv :0 tchatche".to_owned(),
            ":srv 365 alice * :End of LINKS list".to_owned(),
            ":srv 375 alice :- srv Message of the day -".to_owned(),
            ":srv 372 alice :- Bonjour".to_owned(),
            ":srv 376 alice :End of /MOTD command.".to_owned(),
        ]
    );
    assert!(session.requests.is_empty());
}

#[test]
fn isupport_says_what_the_gateway_supports() {
    let mut session = Session::new(settings());
    session.on_line("NICK alice");
    session.on_line("USER a 0 * :30 H 75");
    let (req, _) = take_request(&mut session);
    let lines = answer(
        &mut session,
        Event::Entered {
            req: Some(req),
            you: user(ME.0, "alice"),
            band: Band::Adult,
            rooms: Vec::new(),
        },
    );
    let isupport = lines
        .iter()
        .find(|line| line.starts_with(":srv 005 "))
        .expect("a 005 line");
    for token in [
        " CHATHISTORY=5 ",
        " NETWORK=srv ",
        " PREFIX=(ov)@+ ",
        " CHANMODES=Ib,k,l,imnt ",
        " ELIST=CMNTU ",
        " :are supported by this server",
    ] {
        assert!(isupport.contains(token), "{token} in {isupport}");
    }
}
