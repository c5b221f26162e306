//! Errors and warnings on standard error, with control characters escaped: their text
//! quotes tar entry names, package data and advisory ids, which must not reach the
//! terminal as escape sequences ([`plimsoll_model::text::escape_controls`]).

use plimsoll_model::text::escape_controls;
use std::fmt::Display;

/// `error: MESSAGE`.
pub fn error(message: impl Display) {
    eprintln!("error: {}", escape_controls(&message.to_string()));
}

/// `warning: MESSAGE`.
pub fn warning(message: impl Display) {
    eprintln!("warning: {}", escape_controls(&message.to_string()));
}
