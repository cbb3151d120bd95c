//! The command line: parses arguments and calls into the library.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};

use contact_loader::check::{CheckOptions, check};
use contact_loader::domain::Region;
use contact_loader::identity::DEFAULT_CLUSTER_LIMIT;
use contact_loader::input::{ReadOptions, Source, parse_delimiter, parse_encoding};
use contact_loader::report::{Summary, write_human, write_report, write_status_csv};

#[derive(Parser)]
#[command(
    name = "contact-loader",
    version,
    about = "Loads contact lists into Chat2Desk and other customer-messaging systems"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read a list and show, row by row, what loading it would do. Spends no API request.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The CSV file (UTF-8, Windows-1251 or UTF-16; `,` `;` tab or `|`).
    file: PathBuf,
    /// Country for numbers written without a country code.
    #[arg(long, default_value = "RU")]
    region: Region,
    /// Write the input rows with a Status column to this CSV file.
    #[arg(long, value_name = "STATUS.csv")]
    out: Option<PathBuf>,
    /// Write one JSON object per data row to this file.
    #[arg(long, value_name = "REPORT.jsonl")]
    report: Option<PathBuf>,
    /// Print a JSON summary instead of the text one.
    #[arg(long)]
    json: bool,
    /// Read the file in this encoding instead of detecting it (utf-8, windows-1251, utf-16le…).
    #[arg(long)]
    encoding: Option<String>,
    /// Cells are separated by this character instead of the detected one (`,` `;` `|` or tab).
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Warn on rows whose linked profiles number more than this.
    #[arg(long, default_value_t = DEFAULT_CLUSTER_LIMIT)]
    cluster_limit: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => run_check(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the reason and its causes.
            eprintln!("contact-loader: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_check(args: CheckArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let options = ReadOptions {
        encoding: args.encoding.as_deref().map(parse_encoding).transpose()?,
        delimiter: args.delimiter,
    };
    let source = Source::read(&args.file, options)?;
    let checked = check(
        source,
        CheckOptions {
            region: args.region,
            cluster_limit: args.cluster_limit,
        },
    )
    .with_context(|| format!("{} cannot be checked", args.file.display()))?;
    if let Some(path) = &args.out {
        write_status_csv(&checked, create(path)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.report {
        write_report(&checked, create(path)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut stdout = io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut stdout, &Summary::new(&checked, elapsed_ms))?;
        writeln!(stdout)?;
    } else {
        write_human(&checked, &args.file.display().to_string(), &mut stdout)?;
    }
    Ok(())
}

fn create(path: &Path) -> anyhow::Result<File> {
    File::create(path).with_context(|| format!("cannot create {}", path.display()))
}
