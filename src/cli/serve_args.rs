//! The arguments of `kolrec serve`: the model, where to listen, and the server's limits.

use std::path::PathBuf;

use clap::Args;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The model directory to serve (reloaded by SIGHUP or POST /admin/reload).
    #[arg(long)]
    pub model: PathBuf,
    /// A dataset whose follower snapshots /v1/growth and /v1/score read (loaded once).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// A file holding the bearer token of /admin/reload (without one, admin routes are off).
    #[arg(long)]
    pub admin_token_file: Option<PathBuf>,
    /// Largest request body (e.g. 1MiB, 512KiB, 65536).
    #[arg(long, default_value = "1MiB", value_parser = byte_size)]
    pub max_body: usize,
    /// Time budget of one request; past it the answer is 504.
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
    /// Requests computing at once; more are refused with 503 and Retry-After.
    #[arg(long, default_value_t = 64)]
    pub max_in_flight: usize,
    /// Candidates each query retrieves for the learned ranker (default: its trained count).
    #[arg(long)]
    pub candidates: Option<usize>,
    /// After SIGTERM, how long readiness says 503 before the listener closes.
    #[arg(long, default_value_t = 1000)]
    pub drain_ms: u64,
}

/// `65536`, `512KiB`, `1MiB` (or kB/MB, powers of ten) into bytes.
fn byte_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: usize = n.parse().map_err(|_| format!("'{s}' is not a size such as 1MiB or 65536"))?;
    let m = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        "kb" => 1000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        u => return Err(format!("'{s}': unknown unit '{u}' (B, KiB, MiB, GiB, kB, MB, GB)")),
    };
    n.checked_mul(m).ok_or_else(|| format!("'{s}' is too large"))
}
