//! Java archives: `*.jar`, `*.war`, `*.ear`, and Jenkins plugins (`*.jpi`, `*.hpi`), with the
//! jars nested in them (Spring Boot `BOOT-INF/lib/`, `WEB-INF/lib/`, an ear's `lib/`, any
//! `*.jar` entry), read in memory.
//!
//! Each archive yields every `META-INF/maven/<groupId>/<artifactId>/pom.properties` it holds
//! (a shaded jar holds several); an archive without one falls back to `META-INF/MANIFEST.MF`
//! (`Implementation-Title` or `Bundle-SymbolicName`, `Implementation-Version` or
//! `Bundle-Version`, `Implementation-Vendor-Id` or `Automatic-Module-Name` for the group;
//! a Jenkins plugin's `Group-Id`, `Short-Name` and `Plugin-Version`),
//! and then to its file name (`name-1.2.3.jar`). Names are `groupId:artifactId`, as OSV's
//! Maven ecosystem spells them; without a known group, the artifactId alone.
//!
//! A jar is untrusted input that decompresses: every read is bounded. Per top-level archive,
//! at most [`MAX_TOTAL`] decompressed bytes and [`MAX_ENTRIES`] entries (over all nested
//! archives), nesting at most [`MAX_DEPTH`] deep; each entry is read with a limit, whatever
//! size its header declares. Going over a bound is an error (a warning for the file), never
//! unbounded memory.

use crate::{Cataloger, Context, Parsed};
use plimsoll_model::ecosystem::Ecosystem;
use plimsoll_model::{Origin, Package};
use std::collections::{BTreeMap, HashSet};
use std::io::{Cursor, Read};

/// Decompressed bytes read from one top-level archive, nested archives included.
pub const MAX_TOTAL: u64 = 256 << 20;
/// Entries listed by one top-level archive and all archives nested in it.
pub const MAX_ENTRIES: usize = 100_000;
/// Nesting depth: the top-level archive is depth 0; archives deeper than this are not read.
pub const MAX_DEPTH: usize = 4;
/// One nested archive, decompressed.
pub const MAX_NESTED: u64 = 64 << 20;
/// One `pom.properties` or `MANIFEST.MF`.
pub const MAX_METADATA: u64 = 1 << 20;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Java archives and the archives nested in them.
pub struct JavaArchives;

impl Cataloger for JavaArchives {
    fn name(&self) -> &'static str {
        "java-archive"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/*.jar", "**/*.war", "**/*.ear", "**/*.jpi", "**/*.hpi"]
    }
    fn max_size(&self) -> u64 {
        64 << 20
    }
    fn magic(&self) -> Option<&'static [u8]> {
        Some(ZIP_MAGIC)
    }
    fn parse(&self, path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        let w = walk(path, data)?;
        let mut warnings = Vec::new();
        if w.too_deep > 0 {
            warnings.push(format!(
                "{} archive(s) nested more than {MAX_DEPTH} levels deep were not read (the first: {})",
                w.too_deep,
                w.first_too_deep.as_deref().unwrap_or("")
            ));
        }
        Ok(Parsed {
            packages: w.packages,
            warnings,
            ..Parsed::default()
        })
    }
}

/// Packages of one archive (`path` gives its file name) and of the archives nested in it.
pub fn parse_archive(path: &str, data: &[u8]) -> Result<Vec<Package>, String> {
    walk(path, data).map(|w| w.packages)
}

fn walk(path: &str, data: &[u8]) -> Result<Walk, String> {
    if !data.starts_with(ZIP_MAGIC) {
        return Err("not a zip archive".into());
    }
    let mut w = Walk {
        read: 0,
        entries: 0,
        packages: Vec::new(),
        seen: HashSet::new(),
        too_deep: 0,
        first_too_deep: None,
    };
    w.archive(data, base_name(path), None, 0)?;
    Ok(w)
}

struct Walk {
    read: u64,
    entries: usize,
    packages: Vec<Package>,
    seen: HashSet<(String, String)>,
    /// Archive entries below [`MAX_DEPTH`], not read, and the path of the first.
    too_deep: usize,
    first_too_deep: Option<String>,
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_archive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".jar", ".war", ".ear", ".jpi", ".hpi"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// `META-INF/maven/<groupId>/<artifactId>/pom.properties` → (groupId, artifactId).
fn pom_properties_path(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("META-INF/maven/")?;
    let rest = rest.strip_suffix("/pom.properties")?;
    let (g, a) = rest.split_once('/')?;
    (!g.is_empty() && !a.is_empty() && !a.contains('/')).then_some((g, a))
}

impl Walk {
    /// Reads one entry, at most `limit` bytes whatever its header says, counted against the
    /// archive's total.
    fn read_entry<R: Read + std::io::Seek>(
        &mut self,
        zip: &mut zip::ZipArchive<R>,
        index: usize,
        name: &str,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, String> {
        let limit = limit.min(MAX_TOTAL.saturating_sub(self.read));
        let Ok(file) = zip.by_index(index) else {
            // Encrypted, or a compression method not built in: nothing to learn from it.
            return Ok(None);
        };
        let mut buf = Vec::new();
        let got = file.take(limit + 1).read_to_end(&mut buf);
        self.read += buf.len() as u64;
        if buf.len() as u64 > limit {
            return Err(if self.read > MAX_TOTAL {
                format!("over {MAX_TOTAL} bytes decompressed (zip bomb?) at {name}")
            } else {
                format!("{name} decompresses to over {limit} bytes (zip bomb?)")
            });
        }
        match got {
            Ok(_) => Ok(Some(buf)),
            // A corrupt entry (bad deflate stream, CRC mismatch): skip it.
            Err(_) => Ok(None),
        }
    }

    fn archive(
        &mut self,
        data: &[u8],
        file_name: &str,
        path_in_archive: Option<&str>,
        depth: usize,
    ) -> Result<(), String> {
        let mut zip = zip::ZipArchive::new(Cursor::new(data))
            .map_err(|e| format!("not a readable zip archive: {e}"))?;
        self.entries += zip.len();
        if self.entries > MAX_ENTRIES {
            return Err(format!("over {MAX_ENTRIES} zip entries"));
        }
        let names: Vec<String> = (0..zip.len())
            .map(|i| {
                zip.name_for_index(i)
                    .and_then(Result::ok)
                    .map(|n| n.into_owned())
                    .unwrap_or_default()
            })
            .collect();

        let mut poms = Vec::new();
        let mut manifest = None;
        let mut nested = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if name.ends_with('/') {
                continue;
            }
            if let Some((g, a)) = pom_properties_path(name) {
                if let Some(d) = self.read_entry(&mut zip, i, name, MAX_METADATA)? {
                    poms.push(pom_package(g, a, &String::from_utf8_lossy(&d)));
                }
            } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                if manifest.is_none()
                    && let Some(d) = self.read_entry(&mut zip, i, name, MAX_METADATA)?
                {
                    manifest = Some(parse_manifest(&String::from_utf8_lossy(&d)));
                }
            } else if is_archive_name(name) {
                nested.push(i);
            }
        }

        let license = manifest
            .as_ref()
            .and_then(|m| m.get("Bundle-License"))
            .filter(|l| !l.is_empty())
            .cloned();
        let mut found: Vec<(String, String, String)> = poms.into_iter().flatten().collect();
        if found.is_empty() {
            found.extend(fallback(manifest.as_ref(), file_name));
        }
        let single = found.len() == 1;
        for (group, artifact, version) in found {
            let mut p = package(&group, &artifact, &version);
            if single && let Some(l) = &license {
                p.licenses.push(l.clone());
            }
            if let Some(pia) = path_in_archive {
                p.metadata.insert("path_in_archive".into(), pia.into());
            }
            if self.seen.insert((p.name.clone(), p.version.clone())) {
                self.packages.push(p);
            }
        }

        if depth >= MAX_DEPTH {
            if let Some(&i) = nested.first() {
                self.too_deep += nested.len();
                self.first_too_deep
                    .get_or_insert_with(|| match path_in_archive {
                        Some(outer) => format!("{outer}!/{}", names[i]),
                        None => names[i].clone(),
                    });
            }
            return Ok(());
        }
        for i in nested {
            let name = &names[i];
            let Some(inner) = self.read_entry(&mut zip, i, name, MAX_NESTED)? else {
                continue;
            };
            if !inner.starts_with(ZIP_MAGIC) {
                continue;
            }
            let pia = match path_in_archive {
                Some(outer) => format!("{outer}!/{name}"),
                None => name.clone(),
            };
            match self.archive(&inner, base_name(name), Some(&pia), depth + 1) {
                Ok(()) => {}
                // Bounds are for the whole top-level archive: going over them inside a
                // nested one is the whole archive's error.
                Err(e) if self.read > MAX_TOTAL || self.entries > MAX_ENTRIES => return Err(e),
                Err(e) if e.contains("zip bomb") => return Err(format!("{pia}: {e}")),
                // A corrupt nested archive costs its own packages only.
                Err(_) => {}
            }
        }
        Ok(())
    }
}

/// (groupId, artifactId, version) from a `pom.properties`; the path gives the group and
/// artifact when the file does not.
fn pom_package(g: &str, a: &str, text: &str) -> Option<(String, String, String)> {
    let props = parse_properties(text);
    let get = |k: &str, default: &str| {
        props
            .get(k)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .unwrap_or(default)
            .to_string()
    };
    let version = get("version", "");
    let (group, artifact) = (get("groupId", g), get("artifactId", a));
    (valid(&group) && valid(&artifact) && valid(&version)).then_some((group, artifact, version))
}

/// Java `.properties`: `key=value`, `key: value` or `key value`; `#` and `!` comments.
/// Escapes and continuation lines are not needed for Maven's generated files.
fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with(['#', '!']) {
            continue;
        }
        let cut = line.find(['=', ':', ' ', '\t']).unwrap_or(line.len());
        let key = &line[..cut];
        let mut value = line[cut..].trim_start_matches([' ', '\t']);
        if let Some(v) = value.strip_prefix(['=', ':']) {
            value = v;
        }
        out.entry(key.to_string())
            .or_insert_with(|| value.trim().to_string());
    }
    out
}

/// The main section of a manifest: `Name: value` lines, continuation lines starting with one
/// space, up to the first blank line.
fn parse_manifest(text: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(v) = last.as_ref().and_then(|k| out.get_mut(k)) {
                v.push_str(cont);
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            last = None;
            continue;
        };
        let k = k.trim().to_string();
        if out.contains_key(&k) {
            last = None;
            continue;
        }
        out.insert(k.clone(), v.trim_start().to_string());
        last = Some(k);
    }
    for v in out.values_mut() {
        *v = v.trim().to_string();
    }
    out
}

/// `name-1.2.3.jar` → (`name`, `1.2.3`): the version starts at the first `-` before a digit.
fn name_from_file(file: &str) -> Option<(String, String)> {
    let stem = file.rsplit_once('.').map(|(s, _)| s).unwrap_or(file);
    let b = stem.as_bytes();
    let cut = (1..b.len()).find(|&i| b[i - 1] == b'-' && b[i].is_ascii_digit())?;
    let (name, version) = (&stem[..cut - 1], &stem[cut..]);
    (valid(name) && valid(version)).then(|| (name.to_string(), version.to_string()))
}

/// From the manifest, then the file name: (group, artifact, version), group possibly empty.
fn fallback(
    manifest: Option<&BTreeMap<String, String>>,
    file: &str,
) -> Option<(String, String, String)> {
    let field = |keys: &[&str]| -> Option<String> {
        let m = manifest?;
        keys.iter().find_map(|k| {
            m.get(*k)
                // `Bundle-SymbolicName: org.foo.bar;singleton:=true`
                .map(|v| v.split(';').next().unwrap_or("").trim().to_string())
                .filter(|v| valid(v))
        })
    };
    let from_file = name_from_file(file);
    let artifact = field(&["Implementation-Title", "Bundle-SymbolicName", "Short-Name"])
        .or_else(|| from_file.as_ref().map(|(n, _)| n.clone()))?;
    let version = field(&["Implementation-Version", "Bundle-Version", "Plugin-Version"])
        .or_else(|| from_file.as_ref().map(|(_, v)| v.clone()))?;
    let group = field(&[
        "Group-Id",
        "Implementation-Vendor-Id",
        "Automatic-Module-Name",
    ])
    .unwrap_or_default();
    Some((group, artifact, version))
}

/// A name or version worth reporting: printable, no spaces, not absurdly long.
fn valid(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '/' && c != ':')
}

fn package(group: &str, artifact: &str, version: &str) -> Package {
    let name = if group.is_empty() {
        artifact.to_string()
    } else {
        format!("{group}:{artifact}")
    };
    Package {
        kind: "maven".into(),
        ecosystem: Ecosystem::Maven.osv_name().into(),
        purl: crate::purl::purl(
            Ecosystem::Maven.purl_type(),
            Some(group),
            artifact,
            version,
            &[],
        ),
        name,
        version: version.into(),
        origin: Origin::Installed,
        ..Package::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    /// A zip of (name, content) entries, deflated, as `jar` writes them.
    fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, data) in entries {
            if name.ends_with('/') {
                w.add_directory(*name, opts).unwrap();
            } else {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    fn pom(g: &str, a: &str, v: &str) -> Vec<u8> {
        format!(
            "#Generated by Maven\n#Tue Jun 13 10:00:00 UTC 2023\nartifactId={a}\ngroupId={g}\nversion={v}\n"
        )
        .into_bytes()
    }

    fn pom_path(g: &str, a: &str) -> String {
        format!("META-INF/maven/{g}/{a}/pom.properties")
    }

    const CLASS: &[u8] = b"\xca\xfe\xba\xbe\x00\x00\x00\x3d";

    fn summary(pkgs: &[Package]) -> Vec<(String, String, String, String, Vec<String>)> {
        let mut v: Vec<_> = pkgs
            .iter()
            .map(|p| {
                assert_eq!(p.kind, "maven");
                assert_eq!(p.ecosystem, "Maven");
                assert_eq!(p.origin, Origin::Installed);
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.purl.clone(),
                    p.metadata
                        .get("path_in_archive")
                        .cloned()
                        .unwrap_or_default(),
                    p.licenses.clone(),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn s(
        name: &str,
        version: &str,
        purl: &str,
        pia: &str,
        licenses: &[&str],
    ) -> (String, String, String, String, Vec<String>) {
        (
            name.into(),
            version.into(),
            purl.into(),
            pia.into(),
            licenses.iter().map(|l| l.to_string()).collect(),
        )
    }

    fn parse(path: &str, data: &[u8]) -> Result<Vec<Package>, String> {
        JavaArchives
            .parse(path, data, &Context::default())
            .map(|p| p.packages)
    }

    #[test]
    fn plain_jar_with_pom_properties() {
        let data = jar(&[
            ("META-INF/", b""),
            (
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\r\nCreated-By: 17.0.9 (Debian)\r\n\r\n",
            ),
            ("com/example/Demo.class", CLASS),
            ("META-INF/maven/com.example/demo/", b""),
            (
                &pom_path("com.example", "demo"),
                &pom("com.example", "demo", "1.4.2"),
            ),
        ]);
        assert_eq!(
            summary(&parse("opt/app/demo.jar", &data).unwrap()),
            vec![s(
                "com.example:demo",
                "1.4.2",
                "pkg:maven/com.example/demo@1.4.2",
                "",
                &[]
            )]
        );
    }

    fn fixture(name: &str) -> Vec<u8> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/java/");
        std::fs::read(format!("{dir}{name}")).unwrap()
    }

    /// Jars written by the JDK's `jar` tool (data descriptors, directory entries).
    #[test]
    fn real_jars_from_the_jdk_jar_tool() {
        assert_eq!(
            summary(&parse("opt/demo.jar", &fixture("demo.jar")).unwrap()),
            vec![s(
                "com.example:demo",
                "1.4.2",
                "pkg:maven/com.example/demo@1.4.2",
                "",
                &[]
            )]
        );
        // `boot.jar` itself names nothing (its manifest has no title, its name no version).
        assert_eq!(
            summary(&parse("opt/boot.jar", &fixture("boot.jar")).unwrap()),
            vec![
                s(
                    "com.fasterxml.jackson.core:jackson-core",
                    "2.15.2",
                    "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2",
                    "BOOT-INF/lib/jackson-core-2.15.2.jar",
                    &[]
                ),
                s(
                    "io.netty:netty-common",
                    "4.1.100.Final",
                    "pkg:maven/io.netty/netty-common@4.1.100.Final",
                    "BOOT-INF/lib/netty-common-4.1.100.Final.jar",
                    &[]
                ),
            ]
        );
    }

    #[test]
    fn spring_boot_fat_jar_with_nested_jars() {
        let jackson = jar(&[
            (
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\nBundle-License: https://www.apache.org/licenses/LICENSE-2.0.txt\nBundle-SymbolicName: com.fasterxml.jackson.core.jackson-core\nBundle-Version: 2.15.2\n",
            ),
            (
                &pom_path("com.fasterxml.jackson.core", "jackson-core"),
                &pom("com.fasterxml.jackson.core", "jackson-core", "2.15.2"),
            ),
        ]);
        // No pom.properties: the manifest names it, with a long line continued.
        let netty = jar(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\r\nImplementation-Title: netty-com\r\n mon\r\nImplementation-Version: 4.1.100.Final\r\nImplementation-Vendor-Id: io.netty\r\nBundle-License: Apache-2.0\r\n\r\nName: io/netty/\r\nImplementation-Title: other\r\n",
        )]);
        let shaded = jar(&[
            (
                &pom_path("org.example", "shaded"),
                &pom("org.example", "shaded", "3.0"),
            ),
            (
                &pom_path("com.google.guava", "guava"),
                &pom("com.google.guava", "guava", "32.1.2-jre"),
            ),
            // The same jackson, shaded in: reported once.
            (
                &pom_path("com.fasterxml.jackson.core", "jackson-core"),
                &pom("com.fasterxml.jackson.core", "jackson-core", "2.15.2"),
            ),
        ]);
        let data = jar(&[
            (
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.JarLauncher\nStart-Class: com.example.App\n",
            ),
            (&pom_path("com.example", "app"), &pom("com.example", "app", "0.0.1-SNAPSHOT")),
            ("BOOT-INF/classes/com/example/App.class", CLASS),
            ("BOOT-INF/lib/", b""),
            ("BOOT-INF/lib/jackson-core-2.15.2.jar", &jackson),
            ("BOOT-INF/lib/netty-common-4.1.100.Final.jar", &netty),
            ("BOOT-INF/lib/shaded-3.0.jar", &shaded),
            ("BOOT-INF/lib/not-a-jar-1.0.jar", b"just text"),
        ]);
        assert_eq!(
            summary(&parse("app/app.jar", &data).unwrap()),
            vec![
                s(
                    "com.example:app",
                    "0.0.1-SNAPSHOT",
                    "pkg:maven/com.example/app@0.0.1-SNAPSHOT",
                    "",
                    &[]
                ),
                s(
                    "com.fasterxml.jackson.core:jackson-core",
                    "2.15.2",
                    "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2",
                    "BOOT-INF/lib/jackson-core-2.15.2.jar",
                    &["https://www.apache.org/licenses/LICENSE-2.0.txt"]
                ),
                s(
                    "com.google.guava:guava",
                    "32.1.2-jre",
                    "pkg:maven/com.google.guava/guava@32.1.2-jre",
                    "BOOT-INF/lib/shaded-3.0.jar",
                    &[]
                ),
                s(
                    "io.netty:netty-common",
                    "4.1.100.Final",
                    "pkg:maven/io.netty/netty-common@4.1.100.Final",
                    "BOOT-INF/lib/netty-common-4.1.100.Final.jar",
                    &["Apache-2.0"]
                ),
                s(
                    "org.example:shaded",
                    "3.0",
                    "pkg:maven/org.example/shaded@3.0",
                    "BOOT-INF/lib/shaded-3.0.jar",
                    &[]
                ),
            ]
        );
    }

    #[test]
    fn war_and_ear_with_libraries_and_file_name_fallback() {
        let lang = jar(&[("org/apache/commons/lang3/StringUtils.class", CLASS)]);
        let war = jar(&[
            ("WEB-INF/web.xml", b"<web-app/>"),
            ("WEB-INF/lib/commons-lang3-3.12.0.jar", &lang),
            ("WEB-INF/lib/unversioned.jar", &lang),
        ]);
        assert_eq!(
            summary(&parse("usr/local/tomcat/webapps/shop-2.1.war", &war).unwrap()),
            vec![
                s(
                    "commons-lang3",
                    "3.12.0",
                    "pkg:maven/commons-lang3@3.12.0",
                    "WEB-INF/lib/commons-lang3-3.12.0.jar",
                    &[]
                ),
                s("shop", "2.1", "pkg:maven/shop@2.1", "", &[]),
            ]
        );
        let ear = jar(&[
            ("META-INF/application.xml", b"<application/>"),
            ("shop-2.1.war", &war),
            (
                "lib/log4j-core-2.14.1.jar",
                &jar(&[(
                    &pom_path("org.apache.logging.log4j", "log4j-core"),
                    &pom("org.apache.logging.log4j", "log4j-core", "2.14.1"),
                )]),
            ),
        ]);
        let mut got = summary(&parse("srv/app.ear", &ear).unwrap());
        got.retain(|p| p.0 != "commons-lang3" || p.3.contains("!/"));
        assert_eq!(
            got,
            vec![
                s(
                    "commons-lang3",
                    "3.12.0",
                    "pkg:maven/commons-lang3@3.12.0",
                    "shop-2.1.war!/WEB-INF/lib/commons-lang3-3.12.0.jar",
                    &[]
                ),
                s(
                    "org.apache.logging.log4j:log4j-core",
                    "2.14.1",
                    "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                    "lib/log4j-core-2.14.1.jar",
                    &[]
                ),
                s("shop", "2.1", "pkg:maven/shop@2.1", "shop-2.1.war", &[]),
            ]
        );
    }

    #[test]
    fn manifest_and_file_name_parsing() {
        assert_eq!(
            name_from_file("spring-boot-starter-web-3.1.0.jar"),
            Some(("spring-boot-starter-web".into(), "3.1.0".into()))
        );
        assert_eq!(
            name_from_file("foo-1.0-SNAPSHOT.jar"),
            Some(("foo".into(), "1.0-SNAPSHOT".into()))
        );
        assert_eq!(name_from_file("app.jar"), None);
        assert_eq!(name_from_file("-1.0.jar"), None);
        let m = parse_manifest(
            "Bundle-SymbolicName: org.osgi.core;singleton:=true\nBundle-Version: 6.0.0\nAutomatic-Module-Name: org.osgi\n",
        );
        assert_eq!(
            fallback(Some(&m), "x.jar"),
            Some(("org.osgi".into(), "org.osgi.core".into(), "6.0.0".into()))
        );
        // The manifest names it without a version: the file name gives one.
        let m = parse_manifest("Implementation-Title: gson\n");
        assert_eq!(
            fallback(Some(&m), "gson-2.10.1.jar"),
            Some((String::new(), "gson".into(), "2.10.1".into()))
        );
        // A Jenkins plugin's manifest (`.hpi`, `.jpi`) names its Maven coordinates.
        let m = parse_manifest(
            "Manifest-Version: 1.0\nGroup-Id: org.jenkins-ci.plugins\nShort-Name: git\nLong-Name: Jenkins Git plugin\nPlugin-Version: 5.2.1\n",
        );
        assert_eq!(
            fallback(Some(&m), "git.hpi"),
            Some((
                "org.jenkins-ci.plugins".into(),
                "git".into(),
                "5.2.1".into()
            ))
        );
        let p = parse_properties("# c\n! c\nversion : 1.0\ngroupId=g\nartifactId a\n");
        assert_eq!(p["version"], "1.0");
        assert_eq!(p["groupId"], "g");
        assert_eq!(p["artifactId"], "a");
        // pom.properties without a version names nothing.
        assert_eq!(pom_package("g", "a", "groupId=g\n"), None);
        assert_eq!(
            pom_package("g", "a", "version=2\n"),
            Some(("g".into(), "a".into(), "2".into()))
        );
    }

    /// Each level holds a pom.properties and the next level: levels 0 to 4 are read.
    #[test]
    fn nesting_deeper_than_four_is_not_read() {
        let mut inner = jar(&[(&pom_path("lvl", "l6"), &pom("lvl", "l6", "1"))]);
        for level in (0..6).rev() {
            inner = jar(&[
                (
                    &pom_path("lvl", &format!("l{level}")),
                    &pom("lvl", &format!("l{level}"), "1"),
                ),
                (&format!("l{}.jar", level + 1), &inner),
            ]);
        }
        let parsed = JavaArchives
            .parse("app/deep.jar", &inner, &Context::default())
            .unwrap();
        assert_eq!(
            parsed.warnings,
            [
                "1 archive(s) nested more than 4 levels deep were not read (the first: \
              l1.jar!/l2.jar!/l3.jar!/l4.jar!/l5.jar)"
            ]
        );
        let got: Vec<String> = parse("deep.jar", &inner)
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p.name,
                    p.metadata.get("path_in_archive").map_or("", |s| s)
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                "lvl:l0 ",
                "lvl:l1 l1.jar",
                "lvl:l2 l1.jar!/l2.jar",
                "lvl:l3 l1.jar!/l2.jar!/l3.jar",
                "lvl:l4 l1.jar!/l2.jar!/l3.jar!/l4.jar",
            ]
        );
    }

    /// 1 GiB of zeros deflates to about 1 MiB: a nested "jar" that would inflate to it is
    /// refused after reading 64 MiB + 1 byte, whatever its header says.
    #[test]
    fn zip_bomb_is_an_error_with_bounded_reads() {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(9));
        w.start_file(pom_path("com.example", "app"), opts).unwrap();
        w.write_all(&pom("com.example", "app", "1.0")).unwrap();
        w.start_file("BOOT-INF/lib/bomb-1.0.jar", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            w.write_all(&zeros).unwrap();
        }
        let bomb = w.finish().unwrap().into_inner();
        assert!(bomb.len() < 2 << 20, "{}", bomb.len());
        let e = parse("app/bomb.jar", &bomb).unwrap_err();
        assert!(e.contains("zip bomb"), "{e}");

        // The header lies: it declares 100 bytes, and we never read past what it declares.
        let mut lying = bomb.clone();
        let name = b"BOOT-INF/lib/bomb-1.0.jar";
        let mut patched = 0;
        for i in 0..lying.len().saturating_sub(4) {
            let (sig, size_at) = match &lying[i..i + 4] {
                b"PK\x03\x04" => (30, i + 22),
                b"PK\x01\x02" => (46, i + 24),
                _ => continue,
            };
            if lying.get(i + sig..i + sig + name.len()) == Some(name) {
                lying[size_at..size_at + 4].copy_from_slice(&100u32.to_le_bytes());
                patched += 1;
            }
        }
        assert_eq!(patched, 2);
        // The zip crate stops at the declared size with an error: the entry is skipped, the
        // rest of the archive is read.
        assert_eq!(
            summary(&parse("app/bomb.jar", &lying).unwrap()),
            vec![s(
                "com.example:app",
                "1.0",
                "pkg:maven/com.example/app@1.0",
                "",
                &[]
            )]
        );
    }

    /// Five nested jars of 60 MiB each: each under the per-entry limit, together over the
    /// archive's total.
    #[test]
    fn total_decompressed_bytes_are_bounded() {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(1));
        let mut chunk = b"PK\x03\x04".to_vec();
        chunk.resize(1 << 20, 0);
        w.start_file("lib/a.jar", opts).unwrap();
        for _ in 0..60 {
            w.write_all(&chunk).unwrap();
        }
        let one = w.finish().unwrap().into_inner();
        let mut src = zip::ZipArchive::new(Cursor::new(one)).unwrap();
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..5 {
            let f = src.by_index(0).unwrap();
            w.raw_copy_file_rename(f, format!("lib/a{i}.jar")).unwrap();
        }
        let data = w.finish().unwrap().into_inner();
        let e = parse("app/many.jar", &data).unwrap_err();
        assert!(e.contains("decompressed"), "{e}");
    }

    /// Entries are counted over the top-level archive and the archives nested in it.
    #[test]
    fn entry_count_is_bounded() {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for i in 0..60_000 {
            w.start_file(format!("{i}"), opts).unwrap();
        }
        let half = w.finish().unwrap().into_inner();
        assert_eq!(parse("app/half.jar", &half).unwrap(), vec![]);
        let data = jar(&[("lib/a.jar", &half), ("lib/b.jar", &half)]);
        let e = parse("app/many.jar", &data).unwrap_err();
        assert!(e.contains("100000 zip entries"), "{e}");
    }

    #[test]
    fn bad_input_is_an_error_or_skipped_not_a_panic() {
        // Not a zip at all.
        assert!(parse("app/readme.jar", b"hello").is_err());
        assert!(parse("app/empty.jar", b"").is_err());
        // A zip's magic, then garbage.
        assert!(parse("app/x.jar", b"PK\x03\x04garbage").is_err());
        // A real jar cut in half loses its central directory.
        let good = jar(&[(&pom_path("g", "a"), &pom("g", "a", "1"))]);
        assert!(parse("app/cut.jar", &good[..good.len() / 2]).is_err());
        // Corruption inside the deflated data: the entry is skipped (or the archive refused).
        let mut bad = good.clone();
        let at = 30 + pom_path("g", "a").len() + 2;
        bad[at] ^= 0xff;
        bad[at + 1] ^= 0xff;
        let _ = parse("app/flipped.jar", &bad);
        // A corrupt nested jar costs its own packages only.
        let data = jar(&[
            (&pom_path("g", "outer"), &pom("g", "outer", "1")),
            ("lib/cut-1.0.jar", &good[..good.len() / 2]),
        ]);
        assert_eq!(
            summary(&parse("app/outer.jar", &data).unwrap()),
            vec![s("g:outer", "1", "pkg:maven/g/outer@1", "", &[])]
        );
        // Every truncation of a nested archive: no panic.
        let fat = jar(&[
            ("BOOT-INF/lib/a-1.jar", &good),
            ("META-INF/MANIFEST.MF", b"X: y\n"),
        ]);
        for n in 0..fat.len() {
            let _ = parse("app/t.jar", &fat[..n]);
        }
    }
}
