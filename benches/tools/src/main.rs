//! `mot-bench`: the measuring helpers behind `benches/run.sh`.
//!
//! Each subcommand prints one line of `key=value` fields on stdout, so the
//! script can read figures without a JSON parser. Progress and errors go to
//! stderr.

mod baseline;
mod decode;
mod download;
mod extract;
mod generate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "mot-bench", about = "Measuring helpers for benches/run.sh")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode every member of the inputs into table rows, without a
    /// database, and report the throughput in uncompressed bytes per second.
    Decode(decode::DecodeArgs),

    /// Generate a bulk archive and deltas with explicit delta sizes, which
    /// `mot generate` does not expose.
    Generate(generate::GenerateArgs),

    /// Copy each member of a zip archive out as a file, still compressed.
    Extract {
        /// Zip archive to read.
        archive: PathBuf,
        /// Folder to write the members into; created if missing.
        out: PathBuf,
    },

    /// Download the newest bulk file from a local `mot-standin` with
    /// `dvla_client::Client::download`, or print its presigned URL.
    Download(download::DownloadArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(args) => decode::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Extract { archive, out } => extract::run(&archive, &out),
        Command::Download(args) => download::run(&args),
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
