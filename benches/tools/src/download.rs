//! Timed download of the newest bulk file from a local `mot-standin`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use dvla_client::{Client, ClientConfig, Secret};
use mot_standin::{DEFAULT_API_KEY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID};

/// Arguments of `mot-bench download`.
#[derive(Debug, clap::Args)]
pub struct DownloadArgs {
    /// Base URL `mot-standin` printed, such as `http://127.0.0.1:40000`. It
    /// must run with its default credentials.
    #[arg(long)]
    base_url: String,

    /// Folder to download into; created if missing. A complete file of the
    /// same name is removed first, so every run transfers the whole file.
    #[arg(long, required_unless_present = "print_url")]
    out: Option<PathBuf>,

    /// Print the presigned URL and size of the newest bulk file instead of
    /// downloading it, for timing `curl` on the same URL.
    #[arg(long)]
    print_url: bool,
}

/// Lists the files, then downloads the newest bulk file or prints its URL.
/// The time covers the download call alone, not the token and listing.
pub fn run(args: &DownloadArgs) -> Result<String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: &DownloadArgs) -> Result<String> {
    let client = Client::new(config(&args.base_url)?)?;
    let listing = client.list_files().await?;
    let file = listing
        .latest_bulk()
        .context("the stand-in lists no bulk file")?;
    if args.print_url {
        return Ok(format!(
            "url={} bytes={}",
            file.download_url.expose(),
            file.file_size
        ));
    }

    let out = args.out.as_ref().context("--out is required")?;
    tokio::fs::create_dir_all(out).await?;
    let target = out.join(dvla_client::local_file_name(file)?);
    if tokio::fs::try_exists(&target).await? {
        tokio::fs::remove_file(&target).await?;
    }

    let started = Instant::now();
    let path = client.download(file, out, |_, _| {}).await?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes = tokio::fs::metadata(&path).await?.len();
    Ok(format!(
        "download path={} bytes={bytes} seconds={seconds:.3} bytes_per_second={:.0}",
        path.display(),
        bytes as f64 / seconds
    ))
}

fn config(base_url: &str) -> Result<ClientConfig> {
    let base_url = base_url.trim_end_matches('/');
    let mut config = ClientConfig::new(
        DEFAULT_TENANT_ID,
        DEFAULT_CLIENT_ID,
        Secret::new(DEFAULT_CLIENT_SECRET),
        Secret::new(DEFAULT_API_KEY),
    )?;
    config.api_url = base_url.parse().context("invalid --base-url")?;
    config.token_url = format!("{base_url}/{DEFAULT_TENANT_ID}/oauth2/v2.0/token")
        .parse()
        .context("invalid --base-url")?;
    Ok(config)
}
