//! The `tchatche` binary: reads the configuration, starts the [`Server`] and
//! stops it cleanly on SIGINT or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;
use tchatche::Server;
use tracing_subscriber::EnvFilter;

/// jemalloc, not the C library's allocator: it keeps the memory of many
/// small long-lived objects (one set per connection) tighter, gives freed
/// pages back to the system (its settings are in `.cargo/config.toml`), and
/// costs less CPU per allocation. See BENCHMARKS.md, "Third round".
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config_path = std::env::args_os().nth(1).map(PathBuf::from);
    let config = tchatche_config::load(config_path.as_deref(), &|name| std::env::var(name).ok())
        .context("reading the configuration")?;
    let server = Server::start(config).await?;
    wait_for_signal().await?;
    tracing::info!("shutting down");
    server.shutdown().await
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("listening for SIGINT")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}
