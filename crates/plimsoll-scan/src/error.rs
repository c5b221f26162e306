/// Why a scan could not be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// The input could not be read or is invalid, the usage is wrong, or the data to judge
    /// it is missing (exit code 2). The message names the input, layer and path.
    Input(String),
    /// A fault of plimsoll or of the machine (exit code 3).
    Internal(String),
}

impl ScanError {
    pub fn input(e: impl std::fmt::Display) -> ScanError {
        ScanError::Input(e.to_string())
    }
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::Input(m) | ScanError::Internal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ScanError {}

pub type Result<T> = std::result::Result<T, ScanError>;
