//! Memory and CPU of a process, read from `/proc`: the server's, to see what
//! connections and deliveries cost it, and the load tool's own, to see
//! whether the tool rather than the server was the bottleneck.

use std::path::PathBuf;

use anyhow::{Context, bail};

/// A process whose resident memory and CPU time are sampled.
#[derive(Clone, Debug)]
pub struct WatchedProcess {
    /// Its process id.
    pid: u32,
}

impl WatchedProcess {
    /// Watches process `pid`, which must exist.
    pub fn new(pid: u32) -> anyhow::Result<WatchedProcess> {
        let process = WatchedProcess { pid };
        process
            .rss_bytes()
            .with_context(|| format!("watching server process {pid}"))?;
        Ok(process)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn file(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/{name}", self.pid))
    }

    /// Resident memory (`VmRSS`), in bytes.
    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        rss_bytes_of(&self.file("status"))
    }

    /// User plus system CPU time used so far, in seconds.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        cpu_seconds_of(&self.file("stat"))
    }

    /// The soft open files limit (`None`: unlimited).
    pub fn open_files_limit(&self) -> anyhow::Result<Option<u64>> {
        let path = self.file("limits");
        let limits = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let line = limits
            .lines()
            .find(|line| line.starts_with("Max open files"))
            .with_context(|| format!("no open files line in {}", path.display()))?;
        let soft = line
            .trim_start_matches("Max open files")
            .split_whitespace()
            .next()
            .unwrap_or("unlimited");
        Ok(soft.parse().ok())
    }
}

/// CPU time (user plus system) this process has used so far, in seconds.
pub fn own_cpu_seconds() -> anyhow::Result<f64> {
    cpu_seconds_of(&PathBuf::from("/proc/self/stat"))
}

/// This process's resident memory, in bytes.
pub fn own_rss_bytes() -> anyhow::Result<u64> {
    rss_bytes_of(&PathBuf::from("/proc/self/status"))
}

fn rss_bytes_of(path: &PathBuf) -> anyhow::Result<u64> {
    let status =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_vm_rss(&status).with_context(|| format!("no VmRSS line in {}", path.display()))
}

fn cpu_seconds_of(path: &PathBuf) -> anyhow::Result<f64> {
    let stat =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let ticks = parse_cpu_ticks(&stat)
        .with_context(|| format!("no utime and stime in {}", path.display()))?;
    let per_second = rustix::param::clock_ticks_per_second();
    if per_second == 0 {
        bail!("the kernel reports 0 clock ticks per second");
    }
    Ok(ticks as f64 / per_second as f64)
}

/// The `VmRSS` line of `/proc/<pid>/status`, in bytes.
fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// `utime + stime` from `/proc/<pid>/stat`, in clock ticks. The command name
/// (field 2) may hold spaces and parentheses, so fields are counted from
/// after its last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name come field 3 (state) onwards; utime and stime are
    // fields 14 and 15.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The process listening on TCP `port` (any local address), found through
/// `/proc/net/tcp{,6}` and the socket links in `/proc/*/fd`; `None` if there
/// is not exactly one.
pub fn find_listener(port: u16) -> Option<WatchedProcess> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(table) {
            inodes.extend(listening_inodes(&text, port));
        }
    }
    if inodes.is_empty() {
        return None;
    }
    let links: Vec<String> = inodes
        .iter()
        .map(|inode| format!("socket:[{inode}]"))
        .collect();
    let mut owners = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(descriptors) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let owns_listener = descriptors.flatten().any(|descriptor| {
            std::fs::read_link(descriptor.path())
                .is_ok_and(|target| links.iter().any(|link| target.as_os_str() == link.as_str()))
        });
        if owns_listener && pid != std::process::id() {
            owners.push(pid);
        }
    }
    match owners.as_slice() {
        [pid] => Some(WatchedProcess { pid: *pid }),
        _ => None,
    }
}

/// Socket inodes in LISTEN state (`0A`) on `port` in a `/proc/net/tcp` table.
fn listening_inodes(table: &str, port: u16) -> Vec<String> {
    let port_hex = format!("{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = fields.get(1)?;
            let state = fields.get(3)?;
            let inode = fields.get(9)?;
            let (_, local_port) = local.rsplit_once(':')?;
            (local_port == port_hex && *state == "0A").then(|| (*inode).to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_cpu_ticks() {
        let status = "Name:\ttchatche\nVmPeak:\t  9000 kB\nVmRSS:\t   1234 kB\n";
        assert_eq!(parse_vm_rss(status), Some(1234 * 1024));
        let stat = "42 (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0";
        assert_eq!(parse_cpu_ticks(stat), Some(325));
    }

    #[test]
    fn finds_listening_sockets_by_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5551 1 0\n\
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 5552 1 0\n";
        assert_eq!(listening_inodes(table, 8080), vec!["5551".to_owned()]);
        assert!(listening_inodes(table, 8081).is_empty());
    }

    #[test]
    fn own_cpu_time_and_memory_are_readable() {
        assert!(own_cpu_seconds().is_ok_and(|seconds| seconds >= 0.0));
        assert!(own_rss_bytes().is_ok_and(|bytes| bytes > 0));
    }
}
