//! Logs: every line through `tracing`, to stderr — for a person by default, JSON lines for
//! a log collector (`--log-format json` or `CONTACT_LOADER_LOG_FORMAT=json`); levels by an
//! `EnvFilter` directive in `RUST_LOG` (`info`, `contact_loader=debug,sqlx=warn`, …).
//!
//! No secret reaches a log line by construction: tokens are `SecretString`s whose `Debug`
//! is redacted, clients' `Debug` leaves their tokens out, errors never carry one, and the
//! HTTP layer logs the method and path of a request, never its headers or query.

use std::str::FromStr;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Human,
    /// One JSON object per line, with the event's fields and its spans' fields.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<LogFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "human" | "text" | "" => Ok(LogFormat::Human),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format `{other}`: use `human` or `json`")),
        }
    }
}

/// The environment variable that chooses the format when no flag does.
pub const FORMAT_VARIABLE: &str = "CONTACT_LOADER_LOG_FORMAT";

impl LogFormat {
    /// The flag's choice, else `CONTACT_LOADER_LOG_FORMAT`, else human.
    pub fn chosen(flag: Option<LogFormat>) -> Result<LogFormat, String> {
        match flag {
            Some(format) => Ok(format),
            None => {
                std::env::var(FORMAT_VARIABLE).map_or(Ok(LogFormat::Human), |value| value.parse())
            }
        }
    }
}

/// Installs the process's subscriber. `default_level` applies when `RUST_LOG` is unset or
/// unreadable: `info` for the server, `warn` for commands whose output is the point.
pub fn init(format: LogFormat, default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second call (tests that start several commands in one process) keeps the first.
    let _ = match format {
        LogFormat::Human => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_read_from_their_names() {
        assert_eq!("JSON".parse(), Ok(LogFormat::Json));
        assert_eq!("human".parse(), Ok(LogFormat::Human));
        assert!("xml".parse::<LogFormat>().is_err());
        assert_eq!(
            LogFormat::chosen(Some(LogFormat::Json)),
            Ok(LogFormat::Json)
        );
    }
}
