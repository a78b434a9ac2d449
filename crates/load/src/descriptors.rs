//! File descriptor budget: raising this process's limit as far as allowed
//! and saying plainly, before any socket is opened, when the requested
//! number of clients cannot fit in this process or in the server.
//!
//! Every client holds one socket here and one in the server; the two are
//! separate processes, so each needs about as many descriptors as there are
//! clients, plus a few for itself.

use anyhow::{Context, bail};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

use crate::process_stats::WatchedProcess;

/// Descriptors a process needs besides client sockets: standard streams,
/// the runtime's epoll and wake-up descriptors, `/proc` files being read, the
/// listening socket and database on the server side.
const SPARE_DESCRIPTORS: u64 = 64;

/// Descriptors left to the server by a run sized to the limits
/// ([`most_clients`]): its listeners, database, runtime, and the margin
/// between its open-file limit and its connection limit.
const SERVER_RESERVE: u64 = 200;

/// Where a fallback for an unlimited hard limit is read: the kernel's
/// ceiling on per-process descriptors.
const NR_OPEN_PATH: &str = "/proc/sys/fs/nr_open";

/// This process's descriptor limits after raising.
#[derive(Clone, Copy, Debug)]
pub struct DescriptorLimit {
    /// The soft limit now in force.
    pub soft: u64,
    /// The hard limit, the most the soft limit can be raised to without
    /// privileges (`None`: unlimited).
    pub hard: Option<u64>,
}

/// Raises the soft `RLIMIT_NOFILE` limit to the hard limit.
pub fn raise_to_hard_limit() -> anyhow::Result<DescriptorLimit> {
    let current = getrlimit(Resource::Nofile);
    let wanted = match current.maximum {
        Some(hard) => hard,
        // An unlimited hard limit still stops at the kernel's ceiling.
        None => std::fs::read_to_string(NR_OPEN_PATH)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(1 << 20),
    };
    if current.current.is_some_and(|soft| soft >= wanted) {
        return Ok(DescriptorLimit {
            soft: wanted,
            hard: current.maximum,
        });
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(wanted),
            maximum: current.maximum,
        },
    )
    .with_context(|| format!("raising the open files limit to {wanted}"))?;
    Ok(DescriptorLimit {
        soft: wanted,
        hard: current.maximum,
    })
}

/// Refuses a client count this process cannot hold.
pub fn ensure_room_for(clients: usize, limit: &DescriptorLimit) -> anyhow::Result<()> {
    let needed = clients as u64 + SPARE_DESCRIPTORS;
    if needed > limit.soft {
        let hard = limit
            .hard
            .map_or_else(|| "unlimited".to_owned(), |hard| hard.to_string());
        bail!(
            "{clients} clients need about {needed} open files in the load tool, but it may \
             open at most {} (hard limit {hard}); ask for at most {} clients, or raise the \
             hard limit (as root: ulimit -Hn) before starting it",
            limit.soft,
            limit.soft.saturating_sub(SPARE_DESCRIPTORS)
        );
    }
    Ok(())
}

/// Refuses a client count the server process cannot hold, judging by its
/// soft open files limit.
pub fn ensure_server_room_for(clients: usize, server: &WatchedProcess) -> anyhow::Result<()> {
    let Some(soft) = server.open_files_limit()? else {
        return Ok(());
    };
    let needed = clients as u64 + SPARE_DESCRIPTORS;
    if needed > soft {
        bail!(
            "{clients} clients need about {needed} open files in the server (pid {}), but it \
             may open at most {soft}; start it with a higher limit (ulimit -n) or ask for \
             fewer clients",
            server.pid()
        );
    }
    Ok(())
}

/// The most clients both this process (its limit already raised) and the
/// server can hold, judging by their open-file limits; says so on standard
/// error, since it decides the size of a run.
pub fn most_clients(server: Option<&WatchedProcess>) -> anyhow::Result<usize> {
    let own = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    let server_limit = match server {
        Some(server) => server.open_files_limit()?.unwrap_or(u64::MAX),
        None => u64::MAX,
    };
    let limit = own.min(server_limit);
    if limit == u64::MAX {
        bail!("no open-file limit known: give the number of clients");
    }
    // The server keeps descriptors of its own besides its clients, and
    // bench.sh sets its connection limit 100 below its open-file limit.
    let clients = limit.saturating_sub(SERVER_RESERVE);
    eprintln!(
        "open-file limits: load tool {own}, server {}: {clients} clients at most",
        if server_limit == u64::MAX {
            "unknown".to_owned()
        } else {
            server_limit.to_string()
        }
    );
    usize::try_from(clients).context("client count")
}
