//! Text from an image that reaches output: history `created_by`, Entrypoint/Cmd, labels
//! (redaction), and any string printed to a terminal (control-character escaping).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_model::{redact, text};
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    // Escaping leaves nothing a terminal would act on.
    assert!(!text::escape_controls(&s).chars().any(text::is_unsafe));
    assert!(
        !text::escape_controls_keep_newlines(&s)
            .chars()
            .any(|c| c != '\n' && text::is_unsafe(c))
    );
    // Redaction never panics on any history line, argument list or label set.
    let _ = redact::created_by(&s);
    let _ = redact::secrets(&s);
    let args: Vec<String> = s.split(' ').map(str::to_owned).collect();
    let _ = redact::argv(&args);
    let labels: BTreeMap<String, String> = s
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let _ = redact::labels(&labels);
    // A build argument's and an ENV value's text never survives, whatever else the line holds.
    let value: String = s.chars().filter(char::is_ascii_alphanumeric).take(40).collect();
    if value.len() >= 6 {
        let planted = format!("={value}");
        for line in [
            format!("RUN |1 API_TOKEN={value} /bin/sh -c make"),
            format!("|2 A=x API_TOKEN={value} /bin/sh -c true"),
            format!("/bin/sh -c #(nop)  ENV API_TOKEN={value} B=1"),
            format!("ARG API_TOKEN={value}"),
        ] {
            let out = redact::created_by(&line);
            assert!(!out.contains(&planted), "{line:?} -> {out:?}");
        }
    }
});
