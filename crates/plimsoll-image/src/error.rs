//! Errors of image reading. Each names what the user can act on: the input, the blob or layer,
//! and the path inside it.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The reference or path given by the user cannot be understood.
    #[error("invalid image reference {reference:?}: {message}")]
    Reference { reference: String, message: String },

    /// A local file or directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The input is readable but not a valid image (bad JSON, missing entries…).
    #[error("{input}: {message}")]
    Invalid { input: String, message: String },

    /// A blob failed digest or size verification, or could not be fetched.
    #[error("{input}: blob {digest}: {message}")]
    Blob {
        input: String,
        digest: String,
        message: String,
    },

    /// A layer could not be walked.
    #[error("{input}: layer {index} ({digest}): {message}")]
    Layer {
        input: String,
        index: usize,
        digest: String,
        message: String,
    },

    /// The registry refused or failed a request.
    #[error("registry {registry}: {message}")]
    Registry { registry: String, message: String },

    /// No manifest in an index matches the wanted platform.
    #[error("{input}: no image for platform {wanted}; available: {available}")]
    Platform {
        input: String,
        wanted: String,
        available: String,
    },

    /// A configured limit was hit.
    #[error("{input}: {what} exceeds the limit of {limit} (raise it with {flag})")]
    Limit {
        input: String,
        what: String,
        limit: u64,
        flag: &'static str,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(input: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            input: input.into(),
            message: message.into(),
        }
    }
}
