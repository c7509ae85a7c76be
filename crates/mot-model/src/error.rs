use std::fmt;

/// A field value that cannot be represented faithfully.
///
/// Decoding reports it through serde's custom error, so its text ends up in
/// the reject reason of the line that carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// What the value was expected to be, such as `a date YYYY-MM-DD`.
    pub expected: &'static str,
    /// The value as found, cut to a readable length.
    pub found: String,
}

impl ValueError {
    pub(crate) fn new(expected: &'static str, found: &str) -> Self {
        const MAX_SHOWN: usize = 64;
        let found = match found.char_indices().nth(MAX_SHOWN) {
            Some((cut, _)) => format!("{}...", &found[..cut]),
            None => found.to_owned(),
        };
        Self { expected, found }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid value {:?}: expected {}",
            self.found, self.expected
        )
    }
}

impl std::error::Error for ValueError {}
