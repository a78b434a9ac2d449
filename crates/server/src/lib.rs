//! The tchatche server as a library: wires the configuration, the store, the
//! hub, the bus and the transports together, and shuts them down in order.
//!
//! The binary (`main.rs`) is thin glue around [`Server`]; integration tests
//! start the same [`Server`] on `127.0.0.1:0`.

mod http;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tchatche_bus::LocalBus;
use tchatche_config::{Config, DatabaseUrl, ServerConfig};
use tchatche_hub::{HubHandle, HubSettings, HubStores, StaffStores};
use tchatche_store::{
    DATABASE_FILE_NAME, Database, HistoryWriter, Stores, WriterConfig, WriterTask,
};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

/// How often old room history is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Connections the kernel may queue before the server accepts them. The
/// default of `listen()` in the standard library is 128, which overflows
/// when hundreds of clients connect at once (a reconnect wave after a
/// restart); the kernel caps this at `net.core.somaxconn`.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds a listening socket with [`LISTEN_BACKLOG`].
async fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// The database `server.database` names, as the store opens it.
fn database(server: &ServerConfig) -> Database {
    match &server.database {
        DatabaseUrl::InDataDir => Database::Sqlite {
            path: server.data_dir.join(DATABASE_FILE_NAME),
        },
        DatabaseUrl::Sqlite(path) => Database::Sqlite { path: path.clone() },
        DatabaseUrl::Postgres(url) => Database::Postgres { url: url.clone() },
    }
}

/// One IRC listening address, plain or TLS.
struct IrcListener {
    addr: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl IrcListener {
    async fn start(
        self,
        hub: &HubHandle,
        settings: &Arc<tchatche_irc::IrcSettings>,
        connections: &Arc<Semaphore>,
        stopped: watch::Receiver<bool>,
    ) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
        let listener = listen(self.addr)
            .await
            .with_context(|| format!("listening for IRC on {}", self.addr))?;
        let addr = listener.local_addr().context("reading the IRC address")?;
        let tls = self.tls.is_some();
        let task = tokio::spawn(tchatche_irc::serve(
            listener,
            self.tls,
            hub.clone(),
            Arc::clone(settings),
            Arc::clone(connections),
            stopped,
        ));
        tracing::info!(irc_addr = %addr, tls, "IRC gateway is listening");
        Ok((addr, task))
    }
}

/// A running server.
pub struct Server {
    http_addr: SocketAddr,
    irc_addr: Option<SocketAddr>,
    irc_tls_addr: Option<SocketAddr>,
    irc_tasks: Vec<JoinHandle<()>>,
    hub: HubHandle,
    hub_task: JoinHandle<()>,
    http_task: JoinHandle<std::io::Result<()>>,
    stop_http: watch::Sender<bool>,
    history_task: WriterTask,
    pruner: JoinHandle<()>,
    stores: Stores,
    connections: Arc<Semaphore>,
    max_connections: u32,
    grace: Duration,
}

impl Server {
    /// Opens the store, starts the hub and listens. Returns once the server
    /// accepts connections.
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        let database = database(&config.server);
        let stores = tchatche_store::open(&database)
            .await
            .with_context(|| format!("opening the database ({database})"))?;
        let (history, history_task, history_receipts) =
            HistoryWriter::spawn(Arc::clone(&stores.history), WriterConfig::default());
        let pruner = tchatche_store::spawn_pruner(
            Arc::clone(&stores.history),
            config.history.retention_days,
            PRUNE_EVERY,
        );
        let bus = LocalBus::new();
        let (hub, hub_task) = tchatche_hub::start(
            HubSettings::from_config(&config),
            HubStores {
                history: Some(Arc::clone(&stores.history)),
                history_writer: Some(history),
                history_receipts: Some(history_receipts),
                accounts: Some(Arc::clone(&stores.accounts)),
                staff: Some(StaffStores {
                    sanctions: Arc::clone(&stores.sanctions),
                    audit: Arc::clone(&stores.audit),
                    reviews: Some(Arc::clone(&stores.reviews)),
                }),
            },
            Box::new(bus.attach(0)),
        )
        .await
        .context("starting the hub")?;

        let listener = listen(config.server.http_addr)
            .await
            .with_context(|| format!("listening on {}", config.server.http_addr))?;
        let http_addr = listener
            .local_addr()
            .context("reading the listening address")?;
        let connections = Arc::new(Semaphore::new(config.server.max_connections as usize));
        let (stop_http, stopped) = watch::channel(false);
        let app = http::router(http::AppState {
            hub: hub.clone(),
            connections: Arc::clone(&connections),
            limits: tchatche_ws::FrameLimits {
                max_frame_bytes: config.limits.max_frame_bytes as usize,
                max_bad_frames: config.limits.max_bad_frames,
            },
        });
        let http_task = tokio::spawn(http::serve(listener, app, stopped.clone()));
        let mut irc_tasks = Vec::new();
        let (mut irc_addr, mut irc_tls_addr) = (None, None);
        if config.irc.enabled {
            let settings = Arc::new(tchatche_irc::IrcSettings {
                server_name: config.irc.server_name.clone(),
                motd: config.irc.motd.clone(),
                default_guest_profile: config.irc.default_guest_profile.clone(),
                history_limit: config.history.scrollback,
            });
            let plain = IrcListener {
                addr: config.irc.addr,
                tls: None,
            };
            let (addr, task) = plain
                .start(&hub, &settings, &connections, stopped.clone())
                .await?;
            irc_addr = Some(addr);
            irc_tasks.push(task);
            if !config.irc.tls_cert.is_empty() {
                let acceptor = tchatche_irc::tls::acceptor(
                    std::path::Path::new(&config.irc.tls_cert),
                    std::path::Path::new(&config.irc.tls_key),
                )
                .context("setting up IRC over TLS")?;
                let secure = IrcListener {
                    addr: config.irc.tls_addr,
                    tls: Some(acceptor),
                };
                let (addr, task) = secure.start(&hub, &settings, &connections, stopped).await?;
                irc_tls_addr = Some(addr);
                irc_tasks.push(task);
            }
        }
        tracing::info!(%http_addr, %database, "tchatche is listening");
        Ok(Server {
            http_addr,
            irc_addr,
            irc_tls_addr,
            irc_tasks,
            hub,
            hub_task,
            http_task,
            stop_http,
            history_task,
            pruner,
            stores,
            connections,
            max_connections: config.server.max_connections,
            grace: Duration::from_secs(u64::from(config.server.shutdown_grace_secs)),
        })
    }

    /// The address HTTP and WebSocket clients connect to.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The address IRC clients connect to, when the gateway is enabled.
    pub fn irc_addr(&self) -> Option<SocketAddr> {
        self.irc_addr
    }

    /// The address IRC clients connect to over TLS, when configured.
    pub fn irc_tls_addr(&self) -> Option<SocketAddr> {
        self.irc_tls_addr
    }

    /// Stops accepting, tells every client, waits (up to the grace period)
    /// for connections to close, writes pending history and closes the store.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop_http.send(true);
        self.hub.shutdown().await;
        let _ = self.hub_task.await;
        // Every connection holds a permit until its tasks end.
        let all = self.max_connections;
        if tokio::time::timeout(self.grace, self.connections.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close within the grace period");
        }
        match tokio::time::timeout(self.grace, self.http_task).await {
            Ok(Ok(Err(error))) => tracing::warn!(%error, "http server ended with an error"),
            Ok(_) => {}
            Err(_) => tracing::warn!("http server did not stop within the grace period"),
        }
        for irc_task in self.irc_tasks {
            let _ = irc_task.await;
        }
        self.pruner.abort();
        let written = self
            .history_task
            .finish()
            .await
            .context("writing pending room history")?;
        self.stores.close().await;
        tracing::info!(written, "tchatche stopped");
        Ok(())
    }
}
