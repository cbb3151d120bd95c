//! A run refused before anything is written: words for people, and a code for programs.

/// Why a run cannot start with what it was given. `text` says what to fix and may be
/// reworded; `code` is stable, for callers that answer in their own words (the add-on,
/// `apps-script/CONTRACT.md`). A target names its own refusals' codes; the engine and the
/// server carry them without knowing which target said them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct Refusal {
    pub code: &'static str,
    pub text: String,
}

impl Refusal {
    /// The code of a refusal no caller tells apart: its text is all there is to it.
    pub const SETTINGS: &'static str = "settings";

    pub fn new(code: &'static str, text: impl Into<String>) -> Refusal {
        Refusal {
            code,
            text: text.into(),
        }
    }
}

impl From<String> for Refusal {
    fn from(text: String) -> Refusal {
        Refusal::new(Refusal::SETTINGS, text)
    }
}
