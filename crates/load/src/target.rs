//! Where the load goes: the server's WebSocket URL and IRC address, both
//! checked to point at this machine, and the loopback source addresses
//! client sockets are spread over.
//!
//! One source address has about 28,000 ephemeral ports; ten thousand clients
//! and the leftovers of the previous run (sockets in TIME_WAIT) would exhaust
//! them, so client `i` binds to `127.0.0.(1 + i % 250)` before connecting.
//! Every address of 127.0.0.0/8 is local on Linux, so nothing is configured.

use std::net::{Ipv4Addr, SocketAddrV4};

use anyhow::{Context, bail};
use tokio_tungstenite::tungstenite::http::Uri;

/// How many loopback source addresses sockets are spread over
/// (127.0.0.1 to 127.0.0.250).
const SOURCE_ADDRESSES: usize = 250;

/// The server under load: its URL and the socket address it resolves to.
#[derive(Clone, Debug)]
pub struct Target {
    /// The WebSocket URL, as given; used for the handshake request.
    pub url: String,
    /// The loopback address and port the URL names.
    pub addr: SocketAddrV4,
    /// The IRC server's loopback address and port, if one was given.
    pub irc: Option<SocketAddrV4>,
}

impl Target {
    /// Parses a `ws://` URL and refuses any host that is not an IPv4 loopback
    /// address or `localhost`: ten thousand connections must never leave
    /// this machine by mistake.
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        let uri: Uri = url
            .parse()
            .with_context(|| format!("{url:?} is not a URL"))?;
        match uri.scheme_str() {
            Some("ws") => {}
            Some("wss") => bail!(
                "{url}: wss is not supported; the load tool speaks plain ws to a server on this machine"
            ),
            _ => bail!("{url}: the URL must start with ws://"),
        }
        let host = uri
            .host()
            .with_context(|| format!("{url}: the URL has no host"))?;
        let ip = loopback(url, host)?;
        let port = uri.port_u16().unwrap_or(80);
        Ok(Target {
            url: url.to_owned(),
            addr: SocketAddrV4::new(ip, port),
            irc: None,
        })
    }

    /// Adds the IRC server's address, `host:port`, refusing any host that
    /// is not an IPv4 loopback address or `localhost`.
    pub fn with_irc(mut self, addr: &str) -> anyhow::Result<Target> {
        let (host, port) = addr
            .rsplit_once(':')
            .with_context(|| format!("{addr}: the IRC address must be host:port"))?;
        let port: u16 = port
            .parse()
            .with_context(|| format!("{addr}: {port:?} is not a port"))?;
        let ip = loopback(addr, host)?;
        self.irc = Some(SocketAddrV4::new(ip, port));
        Ok(self)
    }

    /// The IRC server's address, or an error saying how to give it.
    pub fn irc_addr(&self) -> anyhow::Result<SocketAddrV4> {
        self.irc
            .context("IRC clients need the server's IRC address: pass --irc-addr 127.0.0.1:PORT")
    }
}

/// The loopback address client number `index` binds its socket to.
pub fn source_address(index: usize) -> Ipv4Addr {
    // The remainder is below 250, so the last octet stays within 1..=250.
    let offset = u8::try_from(index % SOURCE_ADDRESSES).unwrap_or(0);
    Ipv4Addr::new(127, 0, 0, 1 + offset)
}

/// The IPv4 loopback address `host` names (`localhost` or 127.x.x.x); any
/// other host is refused, naming `what` was given.
fn loopback(what: &str, host: &str) -> anyhow::Result<Ipv4Addr> {
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(Ipv4Addr::LOCALHOST);
    }
    match host.parse::<Ipv4Addr>() {
        Ok(ip) if ip.is_loopback() => Ok(ip),
        _ => bail!(
            "{what}: refusing to load {host}; only IPv4 loopback addresses \
             (127.x.x.x or localhost) are allowed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_urls_only() {
        let target = Target::parse("ws://127.0.0.1:8080/ws").map(|target| target.addr);
        assert_eq!(
            target.ok(),
            Some(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080))
        );
        let target = Target::parse("ws://localhost/ws").map(|target| target.addr);
        assert_eq!(
            target.ok(),
            Some(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 80))
        );
        assert!(Target::parse("ws://127.3.2.1:9/ws").is_ok());
        for refused in [
            "ws://10.0.0.1:8080/ws",
            "ws://example.com/ws",
            "ws://[::1]:8080/ws",
            "wss://127.0.0.1/ws",
            "http://127.0.0.1/ws",
            "not a url",
        ] {
            assert!(Target::parse(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn accepts_loopback_irc_addresses_only() -> anyhow::Result<()> {
        let target = Target::parse("ws://127.0.0.1:8080/ws")?;
        assert_eq!(
            target.clone().with_irc("127.0.0.1:6667")?.irc,
            Some(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 6667))
        );
        assert!(target.clone().with_irc("localhost:6667").is_ok());
        for refused in [
            "10.0.0.1:6667",
            "example.com:6667",
            "127.0.0.1",
            "127.0.0.1:x",
        ] {
            assert!(target.clone().with_irc(refused).is_err(), "{refused}");
        }
        Ok(())
    }

    #[test]
    fn source_addresses_cycle_over_250_loopback_hosts() {
        assert_eq!(source_address(0), Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(source_address(249), Ipv4Addr::new(127, 0, 0, 250));
        assert_eq!(source_address(250), Ipv4Addr::new(127, 0, 0, 1));
    }
}
