//! Checks of the image config and history: the user, risky history lines and hygiene.
//!
//! History is written two ways. The classic builder records `/bin/sh -c #(nop)  EXPOSE
//! 22/tcp` for instructions that change only the config and `/bin/sh -c apt-get …` (or
//! `|2 A=b /bin/sh -c …` with build arguments) for `RUN`; BuildKit records the instruction
//! (`EXPOSE map[22/tcp:{}]`, `RUN /bin/sh -c curl … | sh # buildkit`, `ADD https://… /x #
//! buildkit`). The classic builder records a remote `ADD` by the downloaded file's hash
//! (`ADD file:… in /x`), so only BuildKit's history can show the URL.

use super::{At, Findings, HardeningSettings};
use plimsoll_image::Image;
use plimsoll_model::redact;
use regex::Regex;
use std::sync::LazyLock;

/// Every config and history check of `img`.
pub fn check_image(img: &Image, settings: &HardeningSettings, out: &mut Findings) {
    let history = history(img);
    runs_as_root(img, &history, out);
    risky_history(img, &history, out);
    healthcheck(img, out);
    age(img, settings, out);
    base_by_tag(img, out);
}

/// One history entry: its 1-based number, the layer it made, and its text.
struct Entry {
    number: u64,
    layer: Option<usize>,
    text: String,
}

impl Entry {
    fn at(&self) -> At {
        At {
            path: Some("config".into()),
            line: Some(self.number),
            layer: self.layer,
            // A layer's created_by comes from the report (redacted there, and by the
            // secrets analyzer when it ran); an entry without a layer is redacted here.
            created_by: self.layer.is_none().then(|| redact::created_by(&self.text)),
        }
    }
}

fn history(img: &Image) -> Vec<Entry> {
    let mut layer = 0usize;
    let mut out = Vec::new();
    for (i, h) in img.config.history().iter().flatten().enumerate() {
        let empty = h.empty_layer().unwrap_or(false);
        let this = (!empty).then_some(layer);
        if !empty {
            layer += 1;
        }
        if let Some(text) = h.created_by() {
            out.push(Entry {
                number: i as u64 + 1,
                layer: this,
                text: text.clone(),
            });
        }
    }
    out
}

/// The instruction of a history line, without the builders' wrapping: `EXPOSE 22/tcp`,
/// `RUN curl … | sh`, `ADD https://… /x`. A classic `RUN` (`/bin/sh -c cmd`, possibly
/// after build arguments) becomes `RUN cmd`.
pub fn instruction(text: &str) -> String {
    let t = text.trim();
    let t = t.strip_suffix("# buildkit").unwrap_or(t).trim_end();
    if let Some(rest) = t.strip_prefix("/bin/sh -c #(nop)") {
        return rest.trim().to_string();
    }
    // `|2 A=b C=d /bin/sh -c …`: build arguments before a classic RUN.
    let t = match t.strip_prefix('|') {
        Some(r) => match r.find("/bin/sh -c ") {
            Some(i) => &r[i..],
            None => t,
        },
        None => t,
    };
    if let Some(rest) = t.strip_prefix("/bin/sh -c ") {
        return format!("RUN {}", rest.trim());
    }
    t.to_string()
}

/// The instruction's keyword, upper case (`RUN`, `EXPOSE`).
fn keyword(ins: &str) -> String {
    ins.split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

fn runs_as_root(img: &Image, history: &[Entry], out: &mut Findings) {
    let Some(c) = img.config.config() else {
        return;
    };
    let user = c.user().clone().unwrap_or_default();
    if !plimsoll_policy::risk::is_root(&user) {
        return;
    }
    let set_by = history
        .iter()
        .rev()
        .find(|e| keyword(&instruction(&e.text)) == "USER");
    let message = if user.trim().is_empty() {
        "the image config sets no USER: its containers run as root".to_string()
    } else {
        format!(
            "USER {} is root: its containers run as root",
            plimsoll_model::text::escape_controls(user.trim())
        )
    };
    let at = match set_by {
        Some(e) if !user.trim().is_empty() => e.at(),
        _ => At::config(),
    };
    out.push(super::RUNS_AS_ROOT, message, at);
}

static PIPE_TO_SHELL: LazyLock<Regex> = LazyLock::new(|| {
    // A download (curl or wget as a command word), then in the same command a pipe (not
    // `||`) into a shell, perhaps through sudo or env; or a shell running a download's
    // output (`bash <(curl …)`, `sh -c "$(wget -O- …)"`).
    Regex::new(concat!(
        r#"(?:^|[\s;&|(`"'])(?:\S*/)?(?:curl|wget)\s[^|;\n]*\|\s*"#,
        r#"(?:sudo(?:\s+-\S+)*\s+)?(?:env(?:\s+\w+=\S*)*\s+)?(?:\S*/)?(?:ba|da|z|k|a)?sh(?:$|[\s;&)`"'])"#,
        r#"|(?:^|[\s;&|(])(?:\S*/)?(?:ba|da|z|k|a)?sh\s+(?:-\S+\s+)*(?:<\(|["']?\$\()\s*(?:\S*/)?(?:curl|wget)\s"#,
    ))
    .expect("valid regex")
});

/// Whether a `RUN` command pipes a download into a shell.
pub fn pipes_download_to_shell(command: &str) -> bool {
    PIPE_TO_SHELL.is_match(command)
}

/// Whether an `ADD` instruction's source is a remote URL, fetched without `--checksum`.
pub fn adds_remote_url(ins: &str) -> bool {
    let mut words = ins.split_whitespace();
    if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("ADD")) {
        return false;
    }
    let mut checksum = false;
    for w in words {
        if let Some(flag) = w.strip_prefix("--") {
            checksum |= flag.starts_with("checksum");
            continue;
        }
        let w = w.trim_start_matches(['[', '"']).to_ascii_lowercase();
        return !checksum
            && (w.starts_with("http://") || w.starts_with("https://") || w.starts_with("git@"));
    }
    false
}

/// Whether an `EXPOSE` instruction (`EXPOSE 22`, `EXPOSE 22/tcp 80`, BuildKit's `EXPOSE
/// map[22/tcp:{}]`) exposes port 22 over TCP.
pub fn exposes_ssh(ins: &str) -> bool {
    let mut words = ins.split(|c: char| !(c.is_ascii_alphanumeric() || c == '/'));
    if !words
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("EXPOSE"))
    {
        return false;
    }
    words.any(is_ssh_port)
}

fn is_ssh_port(p: &str) -> bool {
    let p = p.trim().to_ascii_lowercase();
    p == "22" || p == "22/tcp"
}

fn risky_history(img: &Image, history: &[Entry], out: &mut Findings) {
    let mut ssh = false;
    for e in history {
        let ins = instruction(&e.text);
        match keyword(&ins).as_str() {
            "EXPOSE" if exposes_ssh(&ins) => {
                ssh = true;
                out.push(
                    super::EXPOSE_SSH,
                    format!("history entry {} exposes port 22 (SSH)", e.number),
                    e.at(),
                );
            }
            "ADD" if adds_remote_url(&ins) => out.push(
                super::ADD_REMOTE_URL,
                format!(
                    "history entry {} ADDs a remote URL without --checksum: what is downloaded is not verified",
                    e.number
                ),
                e.at(),
            ),
            "RUN" if pipes_download_to_shell(&ins) => out.push(
                super::PIPE_TO_SHELL,
                format!(
                    "history entry {} pipes a download into a shell: the script runs unverified",
                    e.number
                ),
                e.at(),
            ),
            _ => {}
        }
    }
    let ports = img
        .config
        .config()
        .as_ref()
        .and_then(|c| c.exposed_ports().clone())
        .unwrap_or_default();
    if !ssh && ports.iter().any(|p| is_ssh_port(p)) {
        out.push(
            super::EXPOSE_SSH,
            "the image config exposes port 22/tcp (SSH)".into(),
            At::config(),
        );
    }
}

fn healthcheck(img: &Image, out: &mut Findings) {
    let message = match img.healthcheck.as_deref() {
        None | Some([]) => "the image config has no HEALTHCHECK",
        Some([first, ..]) if first.eq_ignore_ascii_case("NONE") => {
            "the image's HEALTHCHECK is disabled (NONE)"
        }
        Some(_) => return,
    };
    out.push(super::NO_HEALTHCHECK, message.into(), At::config());
}

/// Before Docker's first release (2013-03-20): a placeholder, not a build time. Reproducible
/// builds (Bazel, ko, distroless, Nix) write 1970-01-01, some tools Go's zero time.
const PLACEHOLDER_BEFORE: (i64, u32, u32) = (2013, 3, 20);

/// Days since 1970-01-01 of an RFC 3339 time's date (`2024-05-01T…`).
pub fn days_of(rfc3339: &str) -> Option<i64> {
    let d = rfc3339.get(..10)?;
    let mut parts = d.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    Some(plimsoll_model::time::days_from_civil(y, m, day))
}

fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (secs / 86_400) as i64
}

fn age(img: &Image, settings: &HardeningSettings, out: &mut Findings) {
    let max = settings.max_image_age_days;
    if max == 0 {
        return;
    }
    let Some(created) = img.config.created().as_deref().and_then(days_of) else {
        return;
    };
    let (y, m, d) = PLACEHOLDER_BEFORE;
    if created < plimsoll_model::time::days_from_civil(y, m, d) {
        return;
    }
    let age = settings.today.unwrap_or_else(today) - created;
    if age > max as i64 {
        let (y, m, d) = plimsoll_model::time::civil_from_days(created);
        out.push(
            super::IMAGE_TOO_OLD,
            format!("the image was created {age} days ago ({y:04}-{m:02}-{d:02}), more than {max}"),
            At::config(),
        );
    }
}

fn base_by_tag(img: &Image, out: &mut Findings) {
    use plimsoll_image::base::{BASE_DIGEST, BASE_NAME};
    let labels = img.labels();
    let (keys, what) = if img.annotations.contains_key(BASE_NAME) {
        (&img.annotations, "manifest annotation")
    } else if labels.contains_key(BASE_NAME) {
        (&labels, "config label")
    } else {
        return;
    };
    let Some(name) = keys.get(BASE_NAME) else {
        return;
    };
    if name.contains("@sha256:") || name.trim().is_empty() {
        return;
    }
    let name = plimsoll_model::text::escape_controls(name);
    let resolved = match keys.get(BASE_DIGEST) {
        Some(d) => format!(
            " (it resolved to {} at build time)",
            plimsoll_model::text::escape_controls(d)
        ),
        None => String::new(),
    };
    out.push(
        super::BASE_BY_TAG,
        format!("the {what} {BASE_NAME} names the base image {name} by tag, without a digest{resolved}: a rebuild may pull another image"),
        At::config(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_of_both_builders() {
        assert_eq!(
            instruction("/bin/sh -c #(nop)  EXPOSE 22/tcp"),
            "EXPOSE 22/tcp"
        );
        assert_eq!(
            instruction("EXPOSE map[22/tcp:{}]"),
            "EXPOSE map[22/tcp:{}]"
        );
        assert_eq!(
            instruction("/bin/sh -c apt-get update"),
            "RUN apt-get update"
        );
        assert_eq!(
            instruction("|1 V=2 /bin/sh -c curl -fsSL x | sh"),
            "RUN curl -fsSL x | sh"
        );
        assert_eq!(
            instruction("RUN /bin/sh -c make # buildkit"),
            "RUN /bin/sh -c make"
        );
    }

    #[test]
    fn ssh_port_in_every_spelling() {
        for yes in [
            "EXPOSE 22",
            "EXPOSE 22/tcp",
            "EXPOSE 80 22/TCP",
            "EXPOSE map[22/tcp:{}]",
            "EXPOSE map[22/tcp:{} 80/tcp:{}]",
        ] {
            assert!(exposes_ssh(yes), "{yes}");
        }
        for no in [
            "EXPOSE 2222",
            "EXPOSE 22/udp",
            "EXPOSE 8022/tcp",
            "EXPOSE map[222/tcp:{}]",
            "ENV PORT=22",
        ] {
            assert!(!exposes_ssh(no), "{no}");
        }
    }

    #[test]
    fn remote_add_without_checksum() {
        assert!(adds_remote_url("ADD https://example.com/x.tgz /opt/"));
        assert!(adds_remote_url("ADD --chown=1:1 http://example.com/x /x"));
        assert!(adds_remote_url("ADD git@github.com:o/r.git /src"));
        assert!(adds_remote_url("ADD [\"https://example.com/x\", \"/x\"]"));
        assert!(!adds_remote_url(
            "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/x /x"
        ));
        assert!(!adds_remote_url("ADD file:9b61ab7d6e2c in /"));
        assert!(!adds_remote_url("ADD app.tar.gz /srv"));
        assert!(!adds_remote_url("COPY https://example.com /x"));
    }

    #[test]
    fn downloads_piped_into_a_shell() {
        for yes in [
            "RUN curl -fsSL https://get.example.com | sh",
            "RUN curl -fsSL https://get.example.com|bash",
            "RUN apt-get update && curl -sL https://deb.example/setup_20.x | bash - && apt-get install -y nodejs",
            "RUN wget -qO- https://x.example/install.sh | sudo -E bash -s -- --yes",
            "RUN wget -O - https://x.example/i | /bin/sh",
            "RUN /usr/bin/curl https://x.example/i | env FOO=1 zsh",
            "RUN bash <(curl -s https://x.example/i)",
            "RUN sh -c \"$(curl -fsSL https://x.example/i)\"",
        ] {
            assert!(pipes_download_to_shell(yes), "{yes}");
        }
        for no in [
            "RUN curl -fsSL https://x.example/k.asc | gpg --dearmor -o /k.gpg",
            "RUN curl -fsSL https://x.example/a.tgz | tar xz -C /opt",
            "RUN curl -fsSLO https://x.example/i.sh && sha256sum -c i.sum && sh i.sh",
            "RUN curl x || sh fallback.sh",
            "RUN echo curl | shasum",
            "RUN cat setup.sh | sh",
            "RUN curl https://x.example/i | shellcheck -",
        ] {
            assert!(!pipes_download_to_shell(no), "{no}");
        }
    }

    #[test]
    fn creation_dates() {
        assert_eq!(days_of("1970-01-02T00:00:00Z"), Some(1));
        assert_eq!(days_of("2024-02-29T10:00:00.123456789Z"), Some(19782));
        assert_eq!(days_of("2024-13-01T00:00:00Z"), None);
        assert_eq!(days_of("yesterday"), None);
        assert_eq!(days_of(""), None);
    }
}
