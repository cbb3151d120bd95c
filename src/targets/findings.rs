//! What a `probe` finds, the same for every target: a verdict on each point of the
//! target's spec the probe settles, and the report's table and closing lines.

use std::fmt::Write as _;

use serde::Serialize;

/// How a point of a target's spec fared in an account, as a `probe` found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// As the spec says.
    Holds,
    /// Not as the spec says; `docs/probe.md` says what follows.
    Differs,
    /// Not settled by this run (skipped to keep the account's data as it was, say).
    Unconfirmed,
}

impl Verdict {
    /// The word the probe's table shows.
    pub fn shown(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Differs => "DIFFERS",
            Verdict::Unconfirmed => "unconfirmed",
        }
    }
}

/// `text` with every occurrence of `secret`, in any ASCII case, replaced by `mask`: a
/// probe's findings quote answers, and an answer may echo what it was sent.
pub fn masked(text: &str, secret: &str, mask: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    // ASCII lower-casing keeps every byte where it was: the offsets hold for `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in lower.match_indices(&secret.to_ascii_lowercase()) {
        out.push_str(&text[rest..at]);
        out.push_str(mask);
        rest = at + secret.len();
    }
    out.push_str(&text[rest..]);
    out
}

/// One point of the spec, as the probe found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The point the spec assumes, in a few words.
    pub point: &'static str,
    pub verdict: Verdict,
    /// What the account answered (never a secret).
    pub seen: String,
    /// The target's `Assumptions` variant (a name its `parse` takes) the account plays,
    /// when it is not the spec's reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<&'static str>,
    /// The heading of `docs/probe.md` ("Omnidesk: …", "Intercom: …") that says what
    /// follows.
    pub see: &'static str,
}

/// The findings as a table, one line each, and the requests spent.
pub fn table(findings: &[Finding], requests: u64) -> String {
    let mut out = String::new();
    let width = findings
        .iter()
        .map(|f| f.point.chars().count())
        .max()
        .unwrap_or(0);
    for finding in findings {
        let verdict = finding.verdict.shown();
        let pad = width - finding.point.chars().count();
        let variant = finding
            .variant
            .map_or(String::new(), |v| format!("  [plays {v}]"));
        let _ = writeln!(
            out,
            "{}{}  {verdict:<11}  {}{variant}",
            finding.point,
            " ".repeat(pad),
            finding.seen
        );
    }
    let _ = writeln!(out, "\n{requests} requests.");
    out
}

/// The report's last lines: which variants the account plays and the sandbox to rehearse
/// on (`kind`, as `sandbox --target` takes it; `account`, the target's word for one), and
/// the sections of `docs/probe.md` that say what follows from the differences.
pub fn closing(out: &mut String, findings: &[Finding], plays: &str, kind: &str, account: &str) {
    if plays.is_empty() {
        let _ = writeln!(
            out,
            "Where settled, the {account} plays the spec's reading of every point."
        );
    } else {
        let _ = writeln!(
            out,
            "The {account} plays {plays}; rehearse a load on a sandbox that does: contact-loader sandbox --target {kind} --assumptions {plays}"
        );
    }
    let mut open: Vec<&str> = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Differs)
        .map(|f| f.see)
        .collect();
    open.sort_unstable();
    open.dedup();
    if !open.is_empty() {
        let _ = writeln!(
            out,
            "What follows from the differences: docs/probe.md, sections {}.",
            open.join(", ")
        );
    }
}
