//! The command line: parses arguments and calls into the library.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use secrecy::SecretString;

use contact_loader::check::{CheckOptions, check};
use contact_loader::domain::Region;
use contact_loader::identity::DEFAULT_CLUSTER_LIMIT;
use contact_loader::input::{ReadOptions, Source, parse_delimiter, parse_encoding};
use contact_loader::load::{LoadOptions, Loaded, Progress};
use contact_loader::pacing::{Backoff, Pacing};
use contact_loader::report::{
    LoadSummary, Summary, write_human, write_load_human, write_report, write_status_csv,
};
use contact_loader::store::Store;
use contact_loader::targets::chat2desk::api::DEFAULT_BASE_URL;
use contact_loader::targets::chat2desk::client::Chat2Desk;
use contact_loader::targets::chat2desk::sandbox::{Quirks, Sandbox, SandboxConfig};
use contact_loader::targets::chat2desk::{Chat2DeskTarget, Settings};
use contact_loader::targets::{Connected, Connection, Credentials, TargetKind};
use contact_loader::telemetry::{self, LogFormat};

#[derive(Parser)]
#[command(
    name = "contact-loader",
    version,
    about = "Loads contact lists into Chat2Desk and other customer-messaging systems"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log lines for a person (`human`) or one JSON object a line (`json`); else
    /// CONTACT_LOADER_LOG_FORMAT. Levels: RUST_LOG (e.g. `info`, `contact_loader=debug`).
    #[arg(long, global = true, value_name = "FORMAT")]
    log_format: Option<LogFormat>,
}

#[derive(Subcommand)]
enum Command {
    /// Read a list and show, row by row, what loading it would do. Spends no API request.
    Check(CheckArgs),
    /// Load a list into a target account, exactly once, within the account's limits.
    Load(Box<LoadArgs>),
    /// Run a local Chat2Desk-compatible server to rehearse a load against.
    Sandbox(SandboxArgs),
    /// Load the example list into a sandbox started here, twice: the second run costs nothing.
    Demo,
    /// Run the backend the Google Sheets add-on calls.
    Serve(ServeArgs),
    /// Check, with a few requests to a real account, what the connector assumes of it.
    Probe(ProbeArgs),
}

#[derive(clap::Args)]
struct ProbeArgs {
    /// The system to probe.
    #[arg(long, default_value = "chat2desk")]
    target: TargetKind,
    /// A phone the account does not have yet: the one client the probe creates. Omnidesk:
    /// a second user, by this phone, linked to the e-mail's.
    #[arg(long)]
    phone: Option<String>,
    /// An e-mail instead of a phone: the probe's one client is an e-mail client. Omnidesk
    /// and Intercom (required): the e-mail of the user the probe creates.
    #[arg(long)]
    email: Option<String>,
    /// Omnidesk: send the e-mail and the phone in one create, to see whether that makes two
    /// linked profiles.
    #[arg(long, requires = "phone")]
    one_create: bool,
    /// The channel (id or name) for that client; else one that fits.
    #[arg(long)]
    channel: Option<String>,
    /// The messenger for a phone; else the channel's WhatsApp.
    #[arg(long)]
    messenger: Option<String>,
    /// Intercom: the `Intercom-Version` to speak (2.16 by default), the one the load will.
    #[arg(long, value_name = "VERSION")]
    intercom_version: Option<String>,
    /// The API's address (Chat2Desk's own by default; Omnidesk's is the account's;
    /// Intercom's regional hosts: https://api.eu.intercom.io, https://api.au.intercom.io).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Read the API token from this file instead of CHAT2DESK_TOKEN (Intercom:
    /// INTERCOM_TOKEN).
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// Read the target's credentials from this file: `NAME=value` lines (OMNIDESK_STAFF_EMAIL,
    /// OMNIDESK_API_KEY; INTERCOM_TOKEN).
    #[arg(long, value_name = "PATH", conflicts_with = "token_file")]
    credentials_file: Option<PathBuf>,
    /// Country for a phone written without a country code.
    #[arg(long, default_value = "RU")]
    region: Region,
    /// Consent given: do not ask.
    #[arg(long)]
    yes: bool,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// A TOML configuration file (see docs/deploy.md); the environment overrides it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The address to listen on, instead of the configuration's.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

/// How a list is read and reported: shared by `check` and `load`.
#[derive(clap::Args)]
struct ListArgs {
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
    /// The system the list is for: its cost model prices it, its rules check it.
    #[arg(long, default_value = "chat2desk")]
    target: TargetKind,
}

impl ListArgs {
    fn source(&self) -> anyhow::Result<Source> {
        let options = ReadOptions {
            encoding: self.encoding.as_deref().map(parse_encoding).transpose()?,
            delimiter: self.delimiter,
        };
        Ok(Source::read(&self.file, options)?)
    }

    fn check_options(&self) -> CheckOptions {
        CheckOptions {
            region: self.region,
            cluster_limit: self.cluster_limit,
            target: self.target,
            spellings: false,
        }
    }
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    list: ListArgs,
}

#[derive(clap::Args)]
struct LoadArgs {
    #[command(flatten)]
    list: ListArgs,
    /// The channel (id or name) for rows that name none.
    #[arg(long)]
    channel: Option<String>,
    /// The messenger (transport) for rows that name none: whatsapp, telegram, viber… (a
    /// channel's own name for it, such as wa_dialog, is found by family).
    #[arg(long)]
    transport: Option<String>,
    /// The channel (id or name) for e-mail contacts when the row's channel takes no e-mail
    /// and several channels do.
    #[arg(long, value_name = "ID|NAME")]
    email_channel: Option<String>,
    /// A tag for every row, on top of the row's own (repeat for several).
    #[arg(long = "tag", value_name = "LABEL")]
    tags: Vec<String>,
    /// Omnidesk: the user data field (its title) tags go to.
    #[arg(long, value_name = "TITLE")]
    tags_field: Option<String>,
    /// Omnidesk: leave a phone or e-mail that rows with different names share unlinked.
    #[arg(long)]
    no_link_shared: bool,
    /// Omnidesk: the assumed points the account plays otherwise, as `probe --target
    /// omnidesk` lists them (note-appends, email-case-sensitive, …, comma-separated).
    #[arg(long, value_name = "LIST")]
    plays: Option<String>,
    /// Intercom: the `Intercom-Version` to speak (2.16 by default).
    #[arg(long, value_name = "VERSION")]
    intercom_version: Option<String>,
    /// Intercom: keep the comment in this custom attribute instead of a note.
    #[arg(long, value_name = "NAME")]
    comment_attribute: Option<String>,
    /// Intercom: create the custom attributes the list needs and the workspace lacks.
    #[arg(long)]
    create_attributes: bool,
    /// Intercom: unarchive an archived contact the list names, instead of reporting it.
    #[arg(long)]
    unarchive: bool,
    /// Intercom: how long its search may take to show a contact just created (600 by
    /// default): a lead whose create went unanswered is not created again sooner.
    #[arg(long, value_name = "SECONDS")]
    search_lag: Option<u64>,
    /// The API's address (the target's own by default; Omnidesk's is the account's;
    /// Intercom's regional hosts: https://api.eu.intercom.io, https://api.au.intercom.io).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Read the API token (Chat2Desk's, Intercom's) from this file instead of
    /// CHAT2DESK_TOKEN or INTERCOM_TOKEN.
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// Read the target's credentials from this file: `NAME=value` lines, NAME the
    /// environment variable's (CHAT2DESK_TOKEN, OMNIDESK_STAFF_EMAIL, OMNIDESK_API_KEY).
    #[arg(long, value_name = "PATH", conflicts_with = "token_file")]
    credentials_file: Option<PathBuf>,
    /// Spend at most this many API requests; the rest of the rows stay pending.
    #[arg(long, value_name = "N")]
    max_requests: Option<u64>,
    /// Go past the month's free requests (each further one is paid).
    #[arg(long)]
    allow_paid: bool,
    /// Load only N randomly chosen rows, to look at them in the account first.
    #[arg(long, value_name = "N")]
    sample: Option<usize>,
    /// The state file that makes loads exactly-once.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// API requests per second at most.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Contacts in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
}

impl LoadArgs {
    /// The target's settings the flags give, by the names jobs use: the target refuses one
    /// it does not take.
    fn settings(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut settings = serde_json::Map::new();
        for (name, value) in [
            ("channel", &self.channel),
            ("transport", &self.transport),
            ("email_channel", &self.email_channel),
            ("tags_field", &self.tags_field),
            ("plays", &self.plays),
            ("version", &self.intercom_version),
            ("comment_attribute", &self.comment_attribute),
        ] {
            if let Some(value) = value {
                settings.insert(name.to_owned(), value.clone().into());
            }
        }
        if let Some(seconds) = self.search_lag {
            settings.insert("search_lag_secs".to_owned(), seconds.into());
        }
        for (name, set) in [
            ("no_link_shared", self.no_link_shared),
            ("create_attributes", self.create_attributes),
            ("unarchive", self.unarchive),
        ] {
            if set {
                settings.insert(name.to_owned(), true.into());
            }
        }
        settings
    }
}

#[derive(clap::Args)]
struct SandboxArgs {
    /// The system the sandbox plays.
    #[arg(long, default_value = "chat2desk")]
    target: TargetKind,
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 8088)]
    port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// The token clients must send.
    #[arg(long, default_value = "sandbox-token")]
    token: String,
    /// Requests per second before it answers 429.
    #[arg(long)]
    rate: Option<f64>,
    /// Milliseconds added to every answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of requests (0–1) that fail with a 5xx, half of them after the write is applied.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Free requests this month.
    #[arg(long, default_value_t = 100_000)]
    quota: u64,
    /// Answer like the live accounts public clients show: `all`, or some of
    /// business-channels, object-transports, no-allowance, numbers-as-strings,
    /// error-like-text, html-errors (comma-separated).
    #[arg(long, value_name = "LIST", value_parser = Quirks::parse, default_value = "")]
    quirks: Quirks,
    /// Omnidesk: the staff member's e-mail clients must send.
    #[arg(long, default_value = "staff@sandbox.example")]
    staff_email: String,
    /// Omnidesk: the API key clients must send.
    #[arg(long, default_value = "sandbox-api-key")]
    api_key: String,
    /// Omnidesk: requests a minute before it throttles.
    #[arg(long, default_value_t = 300)]
    per_minute: u32,
    /// Omnidesk, Intercom: how it reads the spec's assumed points, comma-separated
    /// (Omnidesk: throttle-403, duplicate-with-id, … — docs/omnidesk.md; Intercom:
    /// conflict-without-id, bulk-tag-50, merged-404, … — docs/intercom.md).
    #[arg(long, value_name = "LIST", default_value = "")]
    assumptions: String,
    /// Intercom: requests per 10-second window before it answers 429.
    #[arg(long, default_value_t = 1_666)]
    per_window: u32,
    /// Intercom: seconds before a contact written shows in search ("a few minutes").
    #[arg(long, default_value_t = 0)]
    search_lag_secs: u64,
    /// Intercom: custom contact attributes the workspace has (comma-separated names).
    #[arg(
        long,
        value_name = "LIST",
        default_value = "job_title,telegram_id,whatsapp_id"
    )]
    attributes: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = match LogFormat::chosen(cli.log_format) {
        Ok(format) => format,
        Err(e) => {
            eprintln!("contact-loader: {}: {e}", telemetry::FORMAT_VARIABLE);
            return ExitCode::FAILURE;
        }
    };
    // The server's log is its output; elsewhere the output is the report, and the log
    // speaks up only for what went wrong.
    let serving = matches!(cli.command, Command::Serve(_));
    telemetry::init(format, if serving { "info" } else { "warn" });
    let result = match cli.command {
        Command::Check(args) => run_check(args),
        Command::Load(args) => runtime().and_then(|rt| rt.block_on(run_load(*args))),
        Command::Sandbox(args) => runtime().and_then(|rt| rt.block_on(run_sandbox(args))),
        Command::Demo => runtime().and_then(|rt| rt.block_on(run_demo())),
        Command::Serve(args) => runtime().and_then(|rt| rt.block_on(run_serve(args))),
        Command::Probe(args) => runtime().and_then(|rt| rt.block_on(run_probe(args))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if serving => {
            tracing::error!(
                error = format!("{e:#}"),
                "contact-loader serve cannot go on"
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            // One line: the reason and its causes.
            eprintln!("contact-loader: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn run_check(args: CheckArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let list = &args.list;
    let checked = check(list.source()?, list.check_options())
        .with_context(|| format!("{} cannot be checked", list.file.display()))?;
    write_files(
        list,
        |out| write_status_csv(&checked, None, out),
        |out| write_report(&checked, None, out),
    )?;
    let mut stdout = io::stdout().lock();
    if list.json {
        serde_json::to_writer(&mut stdout, &Summary::new(&checked, elapsed_ms(started)))?;
        writeln!(stdout)?;
    } else {
        write_human(&checked, &list.file.display().to_string(), &mut stdout)?;
    }
    // The process ends here: freeing a million profiles one by one would take longer than
    // the rest of the output, and the system frees them at once.
    std::mem::forget(checked);
    Ok(())
}

/// Writes `--out` and `--report` when asked for.
fn write_files(
    list: &ListArgs,
    out: impl FnOnce(File) -> io::Result<()>,
    report: impl FnOnce(File) -> io::Result<()>,
) -> anyhow::Result<()> {
    if let Some(path) = &list.out {
        out(create(path)?).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &list.report {
        report(create(path)?).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn create(path: &Path) -> anyhow::Result<File> {
    File::create(path).with_context(|| format!("cannot create {}", path.display()))
}

/// The kind's credentials: from `--credentials-file` (`NAME=value` lines, NAME a
/// credential's environment variable or its name), else from the environment; Chat2Desk's
/// token may also be the first line of `--token-file`.
fn credentials(
    kind: TargetKind,
    token_file: Option<&Path>,
    credentials_file: Option<&Path>,
) -> anyhow::Result<Credentials> {
    let specs = kind.kind().credentials();
    let mut credentials = Credentials::default();
    if let Some(path) = token_file {
        credentials.insert("token", token(Some(path))?);
        return Ok(credentials);
    }
    let file = match credentials_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the credentials file {}", path.display()))?,
        ),
        None => None,
    };
    for spec in specs {
        let value = match &file {
            Some(text) => text.lines().find_map(|line| {
                let (name, value) = line.split_once('=')?;
                let name = name.trim();
                (name == spec.env || name == spec.name).then(|| value.trim().to_owned())
            }),
            None => std::env::var(spec.env).ok(),
        };
        match value.filter(|v| !v.trim().is_empty()) {
            Some(value) => {
                credentials.insert(spec.name, SecretString::from(value.trim().to_owned()))
            }
            None => bail!(
                "no {} for {}: set {} or give --credentials-file",
                spec.name,
                kind.title(),
                spec.env
            ),
        }
    }
    Ok(credentials)
}

/// `CHAT2DESK_TOKEN`, or the first line of `--token-file`.
fn token(file: Option<&Path>) -> anyhow::Result<SecretString> {
    let token = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?,
        None => std::env::var("CHAT2DESK_TOKEN").unwrap_or_default(),
    };
    let token = token.trim();
    if token.is_empty() {
        bail!("no API token: set CHAT2DESK_TOKEN or give --token-file");
    }
    Ok(SecretString::from(token.to_owned()))
}

/// `$XDG_STATE_HOME/contact-loader/ledger.sqlite`, else `~/.local/state/…`.
fn default_state_path() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("contact-loader").join("ledger.sqlite")
}

/// A progress bar on a terminal; nothing otherwise.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new(show: bool) -> Bar {
        Bar(show.then(indicatif::ProgressBar::hidden))
    }
}

impl Progress for Bar {
    fn planned(&self, requests: u64, takes: Option<Duration>) {
        // A load of more than a minute says how long before it starts.
        if let Some(takes) = takes.filter(|t| t.as_secs() >= 60) {
            eprintln!(
                "About {requests} requests: at the account's rate that is about {} minutes. \
                 Progress is saved as it goes; Ctrl-C stops, and a new run goes on from there.",
                takes.as_secs().div_ceil(60)
            );
        }
    }

    fn start(&self, profiles: u64) {
        if let Some(bar) = &self.0 {
            // Short loads finish before a bar is worth drawing.
            if profiles >= 50 {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.set_length(profiles);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} contacts · {per_sec} · ETA {eta}",
                )
                .expect("a valid template"),
            );
        }
    }
    fn advance(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

struct LoadRun {
    loaded: Loaded,
    elapsed_ms: u64,
}

async fn load_once(
    source: Source,
    target: &dyn Connected,
    ledger: &Store,
    options: &LoadOptions,
    show_progress: bool,
) -> anyhow::Result<LoadRun> {
    let started = Instant::now();
    let pacing = std::sync::Arc::new(Pacing::new(
        options.rate,
        options.max_requests,
        options.backoff,
    ));
    // Ctrl-C stops the run cleanly: profiles in flight finish, the rest stay pending.
    let interrupt = {
        let pacing = pacing.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                pacing.stop("interrupted");
            }
        })
    };
    let bar = Bar::new(show_progress && io::stdout().is_terminal());
    let loaded = target.load(source, ledger, options, &pacing, &bar).await;
    interrupt.abort();
    Ok(LoadRun {
        loaded: loaded?,
        elapsed_ms: elapsed_ms(started),
    })
}

async fn run_load(args: LoadArgs) -> anyhow::Result<()> {
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .context("--timeout must be a positive number of seconds")?;
    let kind = args.list.target;
    let connection = Connection {
        base_url: args.base_url.clone(),
        credentials: credentials(
            kind,
            args.token_file.as_deref(),
            args.credentials_file.as_deref(),
        )?,
        settings: args.settings(),
        timeout,
    };
    let target = kind
        .kind()
        .connect(&connection)
        .map_err(anyhow::Error::msg)?;
    if let Some(said) = kind.kind().before_live_run() {
        eprintln!("Note: {}", said.en);
    }
    let state = args.state.clone().unwrap_or_else(default_state_path);
    let ledger = Store::open(&state).await?;
    let options = LoadOptions {
        check: args.list.check_options(),
        tags: args.tags.clone(),
        max_requests: args.max_requests,
        allow_paid: args.allow_paid,
        sample: args.sample,
        rate: args.rate,
        concurrency: args.concurrency,
        backoff: Backoff::default(),
        // A run of the command line is not resumed as itself: a second run is a new one.
        run: None,
    };
    let run = load_once(
        args.list.source()?,
        target.as_ref(),
        &ledger,
        &options,
        !args.list.json,
    )
    .await?;
    ledger.close().await;
    let loaded = &run.loaded;
    let list = &args.list;
    write_files(
        list,
        |out| write_status_csv(&loaded.checked, Some(&loaded.rows), out),
        |out| write_report(&loaded.checked, Some(&loaded.rows), out),
    )?;
    let mut stdout = io::stdout().lock();
    if list.json {
        serde_json::to_writer(&mut stdout, &LoadSummary::new(loaded, run.elapsed_ms))?;
        writeln!(stdout)?;
    } else {
        write_load_human(
            loaded,
            &list.file.display().to_string(),
            run.elapsed_ms,
            false,
            &mut stdout,
        )?;
    }
    Ok(())
}

async fn run_sandbox(args: SandboxArgs) -> anyhow::Result<()> {
    match args.target {
        TargetKind::Chat2desk => {}
        TargetKind::Omnidesk => return run_omnidesk_sandbox(args).await,
        TargetKind::Intercom => return run_intercom_sandbox(args).await,
    }
    let config = SandboxConfig {
        token: args.token,
        rate: args.rate,
        latency: Duration::from_millis(args.latency_ms),
        fail_rate: args.fail_rate.clamp(0.0, 1.0),
        quota: args.quota,
        quirks: args.quirks,
    };
    let sandbox = Sandbox::start(SocketAddr::new(args.host, args.port), config)
        .await
        .context("cannot start the sandbox")?;
    println!("{}", sandbox.url());
    eprintln!(
        "Chat2Desk sandbox at {} (token: {}); clients at {}/sandbox/clients, request counts at {}/sandbox/stats. Ctrl-C stops it.",
        sandbox.url(),
        sandbox.token(),
        sandbox.url(),
        sandbox.url()
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}

async fn run_intercom_sandbox(args: SandboxArgs) -> anyhow::Result<()> {
    use contact_loader::targets::intercom::api::{Assumptions, DataAttribute};
    use contact_loader::targets::intercom::sandbox::{Sandbox, SandboxConfig};
    let attributes = args
        .attributes
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| DataAttribute {
            id: None,
            name: name.to_owned(),
            label: None,
            data_type: "string".to_owned(),
            custom: true,
            api_writable: true,
            archived: false,
            model: Some("contact".to_owned()),
        })
        .collect();
    let config = SandboxConfig {
        token: args.token,
        limit_per_window: args.per_window,
        search_lag: Duration::from_secs(args.search_lag_secs),
        latency: Duration::from_millis(args.latency_ms),
        fail_rate: args.fail_rate.clamp(0.0, 1.0),
        attributes,
        assumptions: Assumptions::parse(&args.assumptions)
            .map_err(|e| anyhow::anyhow!("--assumptions: {e}"))?,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(SocketAddr::new(args.host, args.port), config)
        .await
        .context("cannot start the sandbox")?;
    println!("{}", sandbox.url());
    eprintln!(
        "Intercom sandbox at {url} (token: {}); contacts at {url}/sandbox/contacts, request \
         counts at {url}/sandbox/stats. Ctrl-C stops it.",
        sandbox.token(),
        url = sandbox.url(),
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}

async fn run_omnidesk_sandbox(args: SandboxArgs) -> anyhow::Result<()> {
    use contact_loader::targets::omnidesk::sandbox::{Sandbox, SandboxConfig};
    let config = SandboxConfig {
        staff_email: args.staff_email,
        api_key: args.api_key,
        rate_limit_per_minute: args.per_minute,
        latency: Duration::from_millis(args.latency_ms),
        fail_rate: args.fail_rate.clamp(0.0, 1.0),
        assumptions: contact_loader::targets::omnidesk::api::Assumptions::parse(&args.assumptions)
            .map_err(|e| anyhow::anyhow!("--assumptions: {e}"))?,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(SocketAddr::new(args.host, args.port), config)
        .await
        .context("cannot start the sandbox")?;
    println!("{}", sandbox.url());
    eprintln!(
        "Omnidesk sandbox at {url} (staff e-mail: {}, API key: {}); users at \
         {url}/sandbox/users, request counts at {url}/sandbox/stats. Ctrl-C stops it.",
        sandbox.staff_email(),
        sandbox.api_key(),
        url = sandbox.url(),
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// The example list, built into the binary so that `demo` runs anywhere.
const EXAMPLE: &[u8] = include_bytes!("../examples/contacts.csv");

async fn run_demo() -> anyhow::Result<()> {
    let example = || Source::from_bytes(EXAMPLE.to_vec(), ReadOptions::default());
    let sandbox = Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SandboxConfig {
            rate: Some(20.0),
            ..SandboxConfig::default()
        },
    )
    .await?;
    let state = tempfile_dir()?;
    let target = Chat2DeskTarget {
        client: Chat2Desk::new(
            &sandbox.url(),
            SecretString::from(sandbox.token().to_owned()),
            Duration::from_secs(10),
        )?,
        settings: Settings {
            channel: Some("Продажи".to_owned()),
            transport: Some("whatsapp".to_owned()),
            email_channel: None,
        },
    };
    let target: &dyn Connected = &target;
    let ledger = Store::open(&state.join("ledger.sqlite")).await?;
    let options = LoadOptions {
        rate: 20.0,
        ..LoadOptions::default()
    };
    let mut stdout = io::stdout().lock();
    writeln!(
        stdout,
        "A Chat2Desk sandbox is running at {}. Loading examples/contacts.csv into it (channel «Продажи», WhatsApp by default):\n",
        sandbox.url(),
    )?;
    let first = load_once(example(), target, &ledger, &options, true).await?;
    write_load_human(
        &first.loaded,
        "examples/contacts.csv",
        first.elapsed_ms,
        true,
        &mut stdout,
    )?;
    writeln!(
        stdout,
        "\nThe same list again — done rows are not sent twice:\n"
    )?;
    let second = load_once(example(), target, &ledger, &options, true).await?;
    write_load_human(
        &second.loaded,
        "examples/contacts.csv",
        second.elapsed_ms,
        false,
        &mut stdout,
    )?;
    writeln!(
        stdout,
        "\nSecond run: {} requests for contacts (the {} others read the account's channels, messengers, tags and allowance). The sandbox holds {} clients.",
        second.loaded.api_requests - second.loaded.catalog_requests,
        second.loaded.catalog_requests,
        sandbox.clients().len()
    )?;
    ledger.close().await;
    let _ = std::fs::remove_dir_all(&state);
    Ok(())
}

async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = contact_loader::serve::Config::load(args.config.as_deref())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    tracing::info!(config = ?config, "starting");
    let server = contact_loader::serve::Server::start(config).await?;
    tracing::info!(url = %server.url(), "listening; Ctrl-C or SIGTERM stops it");
    shutdown_signal().await;
    tracing::info!("stopping; jobs in flight are left to be resumed");
    server.stop().await;
    Ok(())
}

async fn run_probe(args: ProbeArgs) -> anyhow::Result<()> {
    use contact_loader::messages::{Lang, problem_text};
    use contact_loader::targets::chat2desk::probe::{
        MAX_REQUESTS, PROBE_NAME, ProbeContact, ProbeOptions, probe,
    };
    match args.target {
        TargetKind::Chat2desk => {}
        TargetKind::Omnidesk => return run_omnidesk_probe(args).await,
        TargetKind::Intercom => return run_intercom_probe(args).await,
    }
    let contact = match (&args.phone, &args.email) {
        (Some(_), Some(_)) => bail!("give --phone or --email, not both"),
        (Some(phone), _) => ProbeContact::Phone(
            contact_loader::domain::Phone::parse(phone, args.region)
                .map_err(|e| {
                    let problem = contact_loader::domain::Problem::Phone(e);
                    anyhow::anyhow!("--phone {phone}: {}", problem_text(Lang::En, &problem))
                })?
                .digits(),
        ),
        (None, Some(email)) => ProbeContact::Email(
            contact_loader::domain::Email::parse(email)
                .map_err(|e| {
                    let problem = contact_loader::domain::Problem::Email(e);
                    anyhow::anyhow!("--email {email}: {}", problem_text(Lang::En, &problem))
                })?
                .to_string(),
        ),
        (None, None) => bail!("give --phone (or --email): the one client the probe may create"),
    };
    let client = Chat2Desk::new(
        args.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
        token(args.token_file.as_deref())?,
        Duration::from_secs(30),
    )?;
    let shown = match &contact {
        ProbeContact::Phone(digits) => format!("+{digits}"),
        ProbeContact::Email(address) => address.clone(),
    };
    eprintln!(
        "The probe sends at most {MAX_REQUESTS} requests to {} (they count against the month's \
         allowance). If the account has no client {shown}, it creates one, named «{PROBE_NAME}», \
         writes a comment on it, and sets and removes one tag; it changes no other client.",
        client.base_url()
    );
    probe_consent(args.yes)?;
    let options = ProbeOptions {
        contact,
        channel: args.channel,
        messenger: args.messenger,
    };
    let report = probe(&client, &options).await?;
    let mut stdout = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &report)?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", report.table())?;
    }
    Ok(())
}

/// `probe --target omnidesk`: the users it creates are the e-mail's and, with `--phone`,
/// the phone's (`targets::omnidesk::probe`).
async fn run_omnidesk_probe(args: ProbeArgs) -> anyhow::Result<()> {
    use contact_loader::messages::{Lang, problem_text};
    use contact_loader::targets::omnidesk::client::Omnidesk;
    use contact_loader::targets::omnidesk::probe::{MAX_REQUESTS, PROBE_NAME, ProbeOptions, probe};
    let kind = TargetKind::Omnidesk;
    let Some(email) = &args.email else {
        bail!("give --email: the e-mail of the user the probe creates");
    };
    // Sent as written, as a load sends it (`Email::address`).
    let email = contact_loader::domain::Email::parse(email)
        .map_err(|e| {
            let problem = contact_loader::domain::Problem::Email(e);
            anyhow::anyhow!("--email {email}: {}", problem_text(Lang::En, &problem))
        })?
        .address()
        .to_owned();
    let phone = match &args.phone {
        // As a load sends it: "+" and the E.164 digits.
        Some(phone) => Some(
            contact_loader::domain::Phone::parse(phone, args.region)
                .map_err(|e| {
                    let problem = contact_loader::domain::Problem::Phone(e);
                    anyhow::anyhow!("--phone {phone}: {}", problem_text(Lang::En, &problem))
                })?
                .e164(),
        ),
        None => None,
    };
    let credentials = credentials(kind, None, args.credentials_file.as_deref())?;
    let Some(base_url) = &args.base_url else {
        bail!("give --base-url: the account's address, https://ACCOUNT.omnidesk.ru");
    };
    let client = Omnidesk::new(
        base_url,
        credentials
            .get(kind.kind(), "staff_email")
            .map_err(anyhow::Error::msg)?
            .clone(),
        credentials
            .get(kind.kind(), "api_key")
            .map_err(anyhow::Error::msg)?
            .clone(),
        Duration::from_secs(30),
    )?;
    let users = match &phone {
        Some(phone) if args.one_create => format!(
            "a user by {email} and {phone} in one create (it may make two linked profiles; if it \
             makes one, a second user by {phone}, linked to the first)"
        ),
        Some(phone) => format!("a user by {email} and a second by {phone}, linked to the first"),
        None => format!("a user by {email}"),
    };
    eprintln!(
        "The probe sends at most {MAX_REQUESTS} requests to {} (they count against the \
         per-minute limit). It creates {users}, named «{PROBE_NAME}», and edits the note of the \
         e-mail's user. It writes nothing on a user it did not create: an e-mail or a phone the \
         account has already is only read.",
        client.base_url()
    );
    probe_consent(args.yes)?;
    let options = ProbeOptions {
        email,
        phone,
        one_create: args.one_create,
    };
    let report = probe(&client, &options).await?;
    let mut stdout = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &report)?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", report.table())?;
    }
    Ok(())
}

/// `probe --target intercom`: one user, by the e-mail, that it archives at the end
/// (`targets::intercom::probe`).
async fn run_intercom_probe(args: ProbeArgs) -> anyhow::Result<()> {
    use contact_loader::messages::{Lang, problem_text};
    use contact_loader::targets::intercom::api;
    use contact_loader::targets::intercom::client::Intercom;
    use contact_loader::targets::intercom::probe::{MAX_REQUESTS, PROBE_NAME, ProbeOptions, probe};
    let kind = TargetKind::Intercom;
    let Some(email) = &args.email else {
        bail!("give --email: the e-mail of the user the probe creates (one the workspace lacks)");
    };
    if args.phone.is_some() {
        bail!("--phone is not for Intercom: the probe's one user is the e-mail's");
    }
    // "send and search e-mails trimmed and lower-cased", as a load does (`Email::key`).
    let email = contact_loader::domain::Email::parse(email)
        .map_err(|e| {
            let problem = contact_loader::domain::Problem::Email(e);
            anyhow::anyhow!("--email {email}: {}", problem_text(Lang::En, &problem))
        })?
        .key()
        .to_owned();
    let credentials = credentials(
        kind,
        args.token_file.as_deref(),
        args.credentials_file.as_deref(),
    )?;
    let client = Intercom::new(
        args.base_url.as_deref().unwrap_or(api::BASE_URL),
        credentials
            .get(kind.kind(), "token")
            .map_err(anyhow::Error::msg)?
            .clone(),
        args.intercom_version
            .as_deref()
            .unwrap_or(api::DEFAULT_VERSION),
        Duration::from_secs(30),
    )?;
    eprintln!(
        "The probe sends at most {MAX_REQUESTS} requests to {} (they count against the \
         workspace's rate limit). It creates one user by {email}, named «{PROBE_NAME}», fills \
         two custom attributes the workspace has on it (it creates none), tags it «{PROBE_NAME}» \
         and removes the tag, then archives it: the user stays archived, the tag stays in the \
         workspace. If the workspace has a contact with {email} already, it writes nothing on \
         it. Campaigns that match new users may message {email}.",
        client.base_url()
    );
    probe_consent(args.yes)?;
    let report = probe(&client, &ProbeOptions::new(email)).await?;
    let mut stdout = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &report)?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", report.table())?;
    }
    Ok(())
}

/// The probe's consent: `--yes`, or a "yes" at the prompt.
fn probe_consent(yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        bail!("run again with --yes to go ahead");
    }
    eprint!("Go ahead? [y/N] ");
    let mut answer = String::new();
    io::stdin().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes" | "да" | "д") {
        bail!("nothing was sent");
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM (what a service manager sends).
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// A fresh folder for the demo's state file.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("contact-loader-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
