//! Command-line arguments (and the environment clap read them from) into the engine's
//! [`ScanSettings`], resolved once, before anything is scanned: files named by flags
//! (policy, VEX, ignore files, secret rules) are read and checked here, so a bad one fails
//! before any download.

use crate::cli::{ImageArgs, LimitArgs, ScanDbArgs};
use crate::input_err;
use anyhow::Context;
use plimsoll_image::{BlobCache, Credential, Limits, OpenOptions};
use plimsoll_scan::{DbSettings, GateSettings, ScanSettings, Scanners, SecretSettings};
use std::path::PathBuf;
use std::time::Duration;

pub fn limits(l: &LimitArgs) -> Limits {
    Limits {
        max_layer_size: l.max_layer_size,
        max_entries: l.max_entries,
        max_capture_total: l.max_capture,
        ..Limits::default()
    }
}

use crate::db::cache_dir;

/// `--scanners`, checked.
pub fn scanners(args: &ScanDbArgs) -> anyhow::Result<Scanners> {
    Scanners::parse(&args.scanners).map_err(input_err)
}

/// Settings that look for nothing (`inventory`), with the caches and limits given.
fn nothing(cache: &Option<PathBuf>, limit_args: Option<&LimitArgs>) -> ScanSettings {
    let cache_dir = cache_dir(cache);
    ScanSettings {
        scanners: Scanners::default(),
        open: OpenOptions {
            cache: BlobCache::new(&cache_dir),
            ..OpenOptions::default()
        },
        layer_cache: true,
        cache_dir,
        limits: limit_args.map(limits).unwrap_or_default(),
        base_image: None,
        db: DbSettings {
            given: None,
            offline: true,
            max_age: Duration::MAX,
            osv_url: String::new(),
            kev_url: String::new(),
            epss_url: String::new(),
            allow_missing_data: false,
        },
        comprehensive: false,
        suppressions: plimsoll_policy::Suppressions::default(),
        exclude_base_image: false,
        policy: None,
        gate: GateSettings::default(),
        secrets: SecretSettings::default(),
        layers: plimsoll_scan::Layers::Final,
    }
}

/// Settings of a scan with a database (`image`, `fs`, `sbom`, `explain`).
pub fn scan(
    db: &ScanDbArgs,
    cache: &Option<PathBuf>,
    limit_args: Option<&LimitArgs>,
) -> anyhow::Result<ScanSettings> {
    let scanners = scanners(db)?;
    let suppressions = plimsoll_policy::Suppressions::load(&plimsoll_policy::SuppressOptions {
        ignorefiles: db.ignorefile.clone(),
        vex: db.vex.clone(),
        default_dir: (!scanners.is_empty())
            .then(std::env::current_dir)
            .and_then(Result::ok),
        ignore_unfixed: db.ignore_unfixed,
    })
    .map_err(input_err)?;
    let policy = db
        .policy
        .as_deref()
        .map(plimsoll_policy::policy::load)
        .transpose()
        .map_err(input_err)?;
    let mut secrets = SecretSettings {
        max_file_size: db.secret_max_file_size,
        ..SecretSettings::default()
    };
    if let Some(path) = &db.secret_config {
        let name = path.display().to_string();
        let text =
            crate::read_capped(path, 1 << 20, "the limit of a secret config").map_err(input_err)?;
        let text =
            String::from_utf8(text).map_err(|_| input_err(format!("{name}: not UTF-8 text")))?;
        secrets.rules = Some(std::sync::Arc::new(
            plimsoll_secret::Scanner::from_config(&name, &text).map_err(input_err)?,
        ));
    }
    Ok(ScanSettings {
        scanners,
        secrets,
        db: DbSettings {
            given: db.db.clone(),
            offline: db.offline,
            max_age: db.db_max_age,
            osv_url: db.feeds.osv_url.clone(),
            kev_url: db.feeds.kev_url.clone(),
            epss_url: db.feeds.epss_url.clone(),
            allow_missing_data: db.allow_missing_data,
        },
        comprehensive: db.detection_priority == plimsoll_model::DetectionPriority::Comprehensive,
        suppressions,
        exclude_base_image: db.exclude_base_image,
        policy,
        gate: GateSettings {
            enabled: db.exit_code.is_some(),
            severities: db.severity.clone(),
        },
        ..nothing(cache, limit_args)
    })
}

/// Settings of an image scan: [`scan`]'s, plus how to reach and read the image.
pub fn image(args: &ImageArgs, db: &ScanDbArgs) -> anyhow::Result<ScanSettings> {
    let mut s = scan(db, &args.cache_dir, Some(&args.limits))?;
    image_options(args, &mut s)?;
    Ok(s)
}

/// Settings of `inventory`: no scanner, no database.
pub fn inventory(args: &ImageArgs) -> anyhow::Result<ScanSettings> {
    let mut s = nothing(&args.cache_dir, Some(&args.limits));
    image_options(args, &mut s)?;
    Ok(s)
}

/// Platform, registry, caches and base image of an image scan.
fn image_options(args: &ImageArgs, s: &mut ScanSettings) -> anyhow::Result<()> {
    let opts = &mut s.open;
    if let Some(p) = &args.platform {
        opts.platform = Some(plimsoll_image::platform::parse(p).map_err(input_err)?);
    }
    opts.no_cache = args.no_cache;
    opts.max_archive_size = args.max_archive_size;
    opts.registry.insecure = args.insecure;
    opts.registry.timeout = Duration::from_secs(args.timeout.max(1));
    let password = if args.password_stdin {
        use std::io::{BufRead, Read};
        // One line; bounded, so that a stream without a newline cannot fill memory.
        let mut p = String::new();
        std::io::stdin()
            .lock()
            .take(64 << 10)
            .read_line(&mut p)
            .context("reading the password from standard input")?;
        Some(p.trim_end_matches(['\r', '\n']).to_string())
    } else {
        args.password.clone()
    };
    match (&args.username, password) {
        (Some(u), Some(p)) => {
            opts.registry.credential = Some(Credential::Basic {
                username: u.clone(),
                password: p,
            });
        }
        (Some(_), None) => {
            return Err(input_err(
                "--username needs --password, --password-stdin or PLIMSOLL_PASSWORD",
            ));
        }
        _ => {}
    }
    s.layer_cache = !args.no_cache && !args.no_layer_cache;
    s.base_image = args.base_image.clone();
    s.layers = args.layers.parse().map_err(input_err)?;
    Ok(())
}

/// The engine's errors as the binary's: input errors exit 2.
pub fn scan_error(e: plimsoll_scan::ScanError) -> anyhow::Error {
    match e {
        plimsoll_scan::ScanError::Input(m) => input_err(m),
        plimsoll_scan::ScanError::Internal(m) => anyhow::anyhow!(m),
    }
}
