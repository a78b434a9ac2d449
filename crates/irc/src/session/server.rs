//! What the server says of itself: the welcome burst after entry (001 to
//! 005, with the ISUPPORT tokens that tell clients what this gateway
//! supports), the message of the day, VERSION, LINKS, and PING.

use crate::codec::Message;
use crate::numeric::*;

use super::Session;

/// `tchatche-<version>`, as VERSION and the welcome burst name the server.
const SOFTWARE: &str = concat!("tchatche-", env!("CARGO_PKG_VERSION"));

impl Session {
    /// 001 to 005 and the message of the day, once the session has entered.
    pub(super) fn welcome_burst(&mut self) {
        let server = self.server().to_owned();
        let nick = self.nick().to_owned();
        self.numeric(
            RPL_WELCOME,
            &[&format!(
                "Bienvenue sur tchatche, {nick} ! Welcome to tchatche, {nick}!"
            )],
        );
        self.numeric(
            RPL_YOURHOST,
            &[&format!("Your host is {server}, running {SOFTWARE}")],
        );
        self.numeric(
            RPL_CREATED,
            &["This server is a gateway to the tchatche chat"],
        );
        self.numeric(RPL_MYINFO, &[&server, SOFTWARE, "io", "lmntov"]);
        let tokens = [
            "CASEMAPPING=ascii".to_owned(),
            "CHANLIMIT=#:20".to_owned(),
            "CHANMODES=Ib,k,l,imnt".to_owned(),
            format!("CHATHISTORY={}", self.settings.history_limit),
            "CHANNELLEN=50".to_owned(),
            "CHANTYPES=#".to_owned(),
            "ELIST=CMNTU".to_owned(),
            "INVEX=I".to_owned(),
            "MSGREFTYPES=msgid".to_owned(),
            format!("NETWORK={server}"),
            "NICKLEN=20".to_owned(),
            "PREFIX=(ov)@+".to_owned(),
            "TOPICLEN=200".to_owned(),
            "UTF8ONLY".to_owned(),
        ];
        let mut params: Vec<&str> = tokens.iter().map(String::as_str).collect();
        params.push("are supported by this server");
        self.numeric(RPL_ISUPPORT, &params);
        self.motd();
    }

    pub(super) fn motd(&mut self) {
        let server = self.server().to_owned();
        self.numeric(
            RPL_MOTDSTART,
            &[&format!("- {server} Message of the day -")],
        );
        for line in self.settings.motd.clone() {
            self.numeric(RPL_MOTD, &[&format!("- {line}")]);
        }
        self.numeric(RPL_ENDOFMOTD, &["End of /MOTD command."]);
    }

    pub(super) fn version(&mut self) {
        let server = self.server().to_owned();
        self.numeric(RPL_VERSION, &[SOFTWARE, &server, "IRC gateway of tchatche"]);
    }

    /// LINKS: one server, this one.
    pub(super) fn links(&mut self) {
        let server = self.server().to_owned();
        self.numeric(RPL_LINKS, &["*", &server, &server, "0 tchatche"]);
        self.numeric(RPL_ENDOFLINKS, &["*", "End of LINKS list"]);
    }

    pub(super) fn ping(&mut self, message: &Message) {
        let server = self.server().to_owned();
        let token = message.param(0).unwrap_or("");
        self.server_line("PONG", &[&server, token]);
    }
}
