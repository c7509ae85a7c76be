//! `mot-standin`: runs the MOT History API stand-in on 127.0.0.1 until its
//! lifetime ends or it receives Ctrl-C.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mot_standin::{
    DEFAULT_API_KEY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID, StandIn,
};
use tracing_subscriber::EnvFilter;

/// Local stand-in of the DVSA MOT History bulk-download API.
///
/// Prints `listening on http://127.0.0.1:PORT` on stdout once it accepts
/// connections, and logs each request to stderr (`RUST_LOG` sets the filter).
#[derive(Debug, Parser)]
#[command(name = "mot-standin", version)]
struct Args {
    /// Directory whose `bulk-*_DD-MM-YYYY.zip` and `delta-*_DD-MM-YYYY.zip`
    /// files are listed.
    #[arg(long, value_name = "DIR")]
    files: PathBuf,

    /// Port to listen on (0 picks a free port).
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Seconds a presigned download URL stays valid after the listing call.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    url_ttl_secs: u64,

    /// Seconds an access token stays valid.
    #[arg(long, value_name = "SECS", default_value_t = 1199)]
    token_ttl_secs: u64,

    /// Tenant id that the token path must contain.
    #[arg(long, env = "DVLA_TENANT_ID", default_value = DEFAULT_TENANT_ID)]
    tenant_id: String,

    /// OAuth2 client id the token endpoint accepts.
    #[arg(long, env = "DVLA_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    client_id: String,

    /// OAuth2 client secret the token endpoint accepts.
    #[arg(
        long,
        env = "DVLA_CLIENT_SECRET",
        default_value = DEFAULT_CLIENT_SECRET,
        hide_env_values = true
    )]
    client_secret: String,

    /// API key the listing endpoint accepts.
    #[arg(long, env = "DVLA_API_KEY", default_value = DEFAULT_API_KEY, hide_env_values = true)]
    api_key: String,

    /// Maximum bytes per second of each file body, for progress demos.
    #[arg(long, value_name = "BYTES")]
    body_rate: Option<u64>,

    /// Seconds after which the server exits by itself.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    max_lifetime_secs: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    init_logging();

    let started = StandIn::builder()
        .files_dir(&args.files)
        .port(args.port)
        .tenant_id(args.tenant_id)
        .credentials(args.client_id, args.client_secret, args.api_key)
        .url_ttl(Duration::from_secs(args.url_ttl_secs))
        .token_ttl(Duration::from_secs(args.token_ttl_secs))
        .body_rate(args.body_rate)
        .start()
        .await;
    let server = match started {
        Ok(server) => server,
        Err(error) => {
            eprintln!("error: {}", error_chain(&error));
            return ExitCode::FAILURE;
        }
    };

    if let Err(error) = announce(&server.base_url()) {
        eprintln!("error: failed to write the listening address to stdout: {error}");
        return ExitCode::FAILURE;
    }

    let lifetime = Duration::from_secs(args.max_lifetime_secs);
    tokio::select! {
        () = tokio::time::sleep(lifetime) => {
            tracing::info!(seconds = args.max_lifetime_secs, "maximum lifetime reached, stopping");
        }
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupted, stopping"),
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// Logs to stderr at debug level for this crate, or as `RUST_LOG` sets.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("mot_standin=debug,info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Prints the line scripts read the port from, and flushes it.
fn announce(base_url: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {base_url}")?;
    stdout.flush()
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
