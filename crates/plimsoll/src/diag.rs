//! Errors, warnings and notes on standard error, with control characters escaped: their
//! text quotes tar entry names, package data, advisory ids and paths, which must not reach
//! the terminal as escape sequences ([`plimsoll_model::text::escape_controls`]).
//!
//! A standard error that cannot be written (`2>/dev/full`, a closed pipe) loses the message
//! but never panics: the exit code still says what happened.

use plimsoll_model::text::escape_controls;
use std::fmt::Display;
use std::io::Write;

fn line(prefix: &str, message: impl Display) {
    let text = escape_controls(&message.to_string()).into_owned();
    let _ = writeln!(std::io::stderr().lock(), "{prefix}{text}");
}

/// `error: MESSAGE`.
pub fn error(message: impl Display) {
    line("error: ", message);
}

/// `warning: MESSAGE`.
pub fn warning(message: impl Display) {
    line("warning: ", message);
}

/// `MESSAGE`: a line of a command's account of itself (what it wrote, imported, fetched).
pub fn note(message: impl Display) {
    line("", message);
}
