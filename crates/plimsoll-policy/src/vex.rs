//! VEX documents: OpenVEX 0.2.0 and CycloneDX VEX (JSON), read into one list of
//! statements (docs/ignore.md).
//!
//! - **OpenVEX** (<https://github.com/openvex/spec>): `statements[]`, each with a
//!   `vulnerability` (`name`, `@id`, `aliases`), `products[]` (`@id`, `identifiers.purl`,
//!   `subcomponents[]`), a `status` (`not_affected`, `affected`, `fixed`,
//!   `under_investigation`), `justification`, `impact_statement`, `action_statement` and a
//!   `timestamp` that defaults to the document's. Documents of OpenVEX 0.0.x, where products
//!   and subcomponents are plain strings and the vulnerability a string, are read too.
//! - **CycloneDX** 1.4–1.6 (`bomFormat: CycloneDX`): `vulnerabilities[]` with an `id`,
//!   `references[].id` (other ids of the same vulnerability), `analysis.state`
//!   (`not_affected`, `false_positive`, `resolved`, `resolved_with_pedigree`, `exploitable`,
//!   `in_triage`), `analysis.justification`, `analysis.detail`, and `affects[].ref`: a purl,
//!   the `bom-ref` of a component of the same document, or a BOM-Link
//!   (`urn:cdx:SERIAL/VERSION#BOM-REF`). Entries without `analysis.state` are vulnerability
//!   reports, not VEX, and are skipped.
//!
//! A statement's product is the scanned image (a `pkg:oci` purl, with or without
//! `repository_url` and `tag`, or the image digest), in which case it applies to its
//! `subcomponents` (or, without subcomponents, to every package), or it is a package purl.
//! Purls compare as [`crate::Purl`] patterns.

use crate::FileError;
use crate::purl::Purl;
use serde::Deserialize;
use serde::de::Error as _;

/// A VEX document's statements, in document order.
#[derive(Debug, Clone)]
pub struct VexDocument {
    /// The path as the user gave it.
    pub name: String,
    pub format: VexFormat,
    pub statements: Vec<VexStatement>,
    /// Statements that can never apply (a reference to no component, a statement with no
    /// product), each naming its place in the document.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexFormat {
    OpenVex,
    CycloneDx,
}

/// One statement: these vulnerabilities have this status in these products.
#[derive(Debug, Clone)]
pub struct VexStatement {
    /// Every id of the vulnerability (name, aliases; for CycloneDX the id and references).
    pub vulnerability: Vec<String>,
    pub products: Vec<Product>,
    /// The status as the document wrote it (`not_affected`, `resolved`…).
    pub status: String,
    /// Whether the status means the finding does not apply (`not_affected`, `fixed`;
    /// CycloneDX `not_affected`, `false_positive`, `resolved`, `resolved_with_pedigree`).
    pub suppresses: bool,
    pub justification: Option<String>,
    /// The free text: `impact_statement` (or `status_notes`, `action_statement`); CycloneDX
    /// `analysis.detail`.
    pub text: Option<String>,
    /// When the statement was made (its own timestamp, else the document's).
    pub timestamp: Option<jiff::Timestamp>,
    /// `statements[3]`, `vulnerabilities[0]`: where it is in the document.
    pub place: String,
}

/// A product of a statement, and the subcomponents the statement is about.
#[derive(Debug, Clone)]
pub struct Product {
    pub ids: Vec<ProductId>,
    pub subcomponents: Vec<Vec<ProductId>>,
}

/// One identifier of a product or subcomponent.
#[derive(Debug, Clone)]
pub enum ProductId {
    Purl(Purl),
    /// Anything else (`sha256:…`, `registry/repo@sha256:…`, an IRI), compared as text.
    Other(String),
}

impl ProductId {
    fn new(s: &str) -> ProductId {
        let s = s.trim();
        if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("pkg:"))
            && let Ok(p) = Purl::parse(s)
        {
            return ProductId::Purl(p);
        }
        ProductId::Other(s.to_string())
    }
}

/// Parses an OpenVEX or CycloneDX VEX document (JSON).
pub fn parse(name: &str, bytes: &[u8]) -> Result<VexDocument, FileError> {
    let sniff: Sniff = from_json(name, bytes)?;
    let is_openvex = match &sniff.context {
        Some(serde_json::Value::String(c)) => c.starts_with("https://openvex.dev/ns"),
        _ => false,
    };
    if is_openvex {
        return Ok(openvex(name, from_json(name, bytes)?));
    }
    if sniff
        .bom_format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("CycloneDX"))
    {
        return Ok(cyclonedx(name, from_json(name, bytes)?));
    }
    Err(FileError {
        file: name.to_string(),
        at: None,
        message: "not a VEX document: expected OpenVEX (\"@context\": \
                  \"https://openvex.dev/ns/…\") or CycloneDX (\"bomFormat\": \"CycloneDX\")"
            .into(),
    })
}

/// Deserializes JSON; an error names the line and column and the JSON path
/// (`statements[0].status: unknown variant…`).
fn from_json<'de, T: Deserialize<'de>>(name: &str, bytes: &'de [u8]) -> Result<T, FileError> {
    let fail = |path: Option<String>, e: serde_json::Error| FileError {
        file: name.to_string(),
        at: (e.line() > 0).then(|| (e.line() as u64, e.column() as u64)),
        message: match path.filter(|p| p != ".") {
            Some(p) => format!("{p}: {}", strip_position(&e.to_string())),
            None => strip_position(&e.to_string()).to_string(),
        },
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        fail(Some(path), e.into_inner())
    })?;
    de.end().map_err(|e| fail(None, e))?;
    Ok(value)
}

/// serde_json appends ` at line L column C`; the position is given apart.
fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

#[derive(Deserialize)]
struct Sniff {
    #[serde(rename = "@context", default)]
    context: Option<serde_json::Value>,
    #[serde(rename = "bomFormat", default)]
    bom_format: Option<String>,
}

fn timestamp<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<jiff::Timestamp>, D::Error> {
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    s.parse::<jiff::Timestamp>()
        .map(Some)
        .map_err(|e| D::Error::custom(format!("timestamp {s:?} is not an RFC 3339 time: {e}")))
}

#[derive(Deserialize)]
struct OpenVexDoc {
    #[serde(default, deserialize_with = "timestamp")]
    timestamp: Option<jiff::Timestamp>,
    statements: Vec<OvStatement>,
}

#[derive(Deserialize)]
struct OvStatement {
    vulnerability: OvVulnerability,
    #[serde(default)]
    products: Vec<OvComponent>,
    status: OvStatus,
    #[serde(default)]
    justification: Option<OvJustification>,
    #[serde(default)]
    impact_statement: Option<String>,
    #[serde(default)]
    action_statement: Option<String>,
    #[serde(default)]
    status_notes: Option<String>,
    #[serde(default, deserialize_with = "timestamp")]
    timestamp: Option<jiff::Timestamp>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum OvStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum OvJustification {
    ComponentNotPresent,
    VulnerableCodeNotPresent,
    VulnerableCodeNotInExecutePath,
    VulnerableCodeCannotBeControlledByAdversary,
    InlineMitigationsAlreadyExist,
}

impl OvJustification {
    fn as_str(self) -> &'static str {
        match self {
            OvJustification::ComponentNotPresent => "component_not_present",
            OvJustification::VulnerableCodeNotPresent => "vulnerable_code_not_present",
            OvJustification::VulnerableCodeNotInExecutePath => {
                "vulnerable_code_not_in_execute_path"
            }
            OvJustification::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            OvJustification::InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
        }
    }
}

impl OvStatus {
    fn as_str(self) -> &'static str {
        match self {
            OvStatus::NotAffected => "not_affected",
            OvStatus::Affected => "affected",
            OvStatus::Fixed => "fixed",
            OvStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// OpenVEX 0.2.0's vulnerability object, or 0.0.x's plain name.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a vulnerability: an object with \"name\", or a string"
)]
enum OvVulnerability {
    Name(String),
    Object {
        #[serde(default)]
        name: Option<String>,
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

/// A product or subcomponent: 0.2.0's object, or 0.0.x's plain identifier.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a product: an object with \"@id\" or \"identifiers\", or a string"
)]
enum OvComponent {
    Id(String),
    Object {
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        identifiers: Option<OvIdentifiers>,
        #[serde(default)]
        subcomponents: Vec<OvComponent>,
    },
}

#[derive(Deserialize)]
struct OvIdentifiers {
    #[serde(default)]
    purl: Option<String>,
}

impl OvComponent {
    fn ids(&self) -> Vec<ProductId> {
        match self {
            OvComponent::Id(s) => vec![ProductId::new(s)],
            OvComponent::Object {
                id, identifiers, ..
            } => id
                .iter()
                .chain(identifiers.iter().filter_map(|i| i.purl.as_ref()))
                .map(|s| ProductId::new(s))
                .collect(),
        }
    }
}

fn openvex(name: &str, doc: OpenVexDoc) -> VexDocument {
    let mut statements = Vec::new();
    let mut warnings = Vec::new();
    for (i, s) in doc.statements.into_iter().enumerate() {
        let place = format!("statements[{i}]");
        let vulnerability: Vec<String> = match s.vulnerability {
            OvVulnerability::Name(n) => vec![n],
            OvVulnerability::Object { name, id, aliases } => {
                // `@id` is often an IRI ending in the id (…/vuln/detail/CVE-2021-44228).
                let tail = id
                    .as_deref()
                    .and_then(|i| i.rsplit('/').next())
                    .map(str::to_string);
                name.into_iter()
                    .chain(id)
                    .chain(tail)
                    .chain(aliases)
                    .collect()
            }
        };
        let vulnerability: Vec<String> = vulnerability
            .into_iter()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if vulnerability.is_empty() {
            warnings.push(format!(
                "{name}: {place} names no vulnerability (vulnerability.name); it applies to nothing"
            ));
            continue;
        }
        let products: Vec<Product> = s
            .products
            .iter()
            .map(|p| Product {
                ids: p.ids(),
                subcomponents: match p {
                    OvComponent::Object { subcomponents, .. } => {
                        subcomponents.iter().map(OvComponent::ids).collect()
                    }
                    OvComponent::Id(_) => vec![],
                },
            })
            .filter(|p| !p.ids.is_empty())
            .collect();
        if products.is_empty() {
            warnings.push(format!(
                "{name}: {place} ({}) names no product; it applies to nothing",
                vulnerability[0]
            ));
            continue;
        }
        let text = [&s.impact_statement, &s.status_notes, &s.action_statement]
            .into_iter()
            .flatten()
            .map(|t| t.trim())
            .find(|t| !t.is_empty())
            .map(str::to_string);
        statements.push(VexStatement {
            vulnerability,
            products,
            status: s.status.as_str().into(),
            suppresses: matches!(s.status, OvStatus::NotAffected | OvStatus::Fixed),
            justification: s.justification.map(|j| j.as_str().to_string()),
            text,
            timestamp: s.timestamp.or(doc.timestamp),
            place,
        });
    }
    VexDocument {
        name: name.to_string(),
        format: VexFormat::OpenVex,
        statements,
        warnings,
    }
}

#[derive(Deserialize)]
struct CdxDoc {
    #[serde(rename = "serialNumber", default)]
    serial_number: Option<String>,
    #[serde(default)]
    metadata: Option<CdxMetadata>,
    #[serde(default)]
    components: Vec<CdxComponent>,
    #[serde(default)]
    vulnerabilities: Vec<CdxVulnerability>,
}

#[derive(Deserialize)]
struct CdxMetadata {
    #[serde(default, deserialize_with = "timestamp")]
    timestamp: Option<jiff::Timestamp>,
    #[serde(default)]
    component: Option<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxComponent {
    #[serde(rename = "bom-ref", default)]
    bom_ref: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    components: Vec<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxVulnerability {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    references: Vec<CdxReference>,
    #[serde(default)]
    analysis: Option<CdxAnalysis>,
    #[serde(default)]
    affects: Vec<CdxAffects>,
    #[serde(default, deserialize_with = "timestamp")]
    updated: Option<jiff::Timestamp>,
}

#[derive(Deserialize)]
struct CdxReference {
    id: String,
}

#[derive(Deserialize)]
struct CdxAnalysis {
    #[serde(default)]
    state: Option<CdxState>,
    #[serde(default)]
    justification: Option<CdxJustification>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(rename = "lastUpdated", default, deserialize_with = "timestamp")]
    last_updated: Option<jiff::Timestamp>,
    #[serde(rename = "firstIssued", default, deserialize_with = "timestamp")]
    first_issued: Option<jiff::Timestamp>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum CdxState {
    Resolved,
    ResolvedWithPedigree,
    Exploitable,
    InTriage,
    FalsePositive,
    NotAffected,
}

impl CdxState {
    fn as_str(self) -> &'static str {
        match self {
            CdxState::Resolved => "resolved",
            CdxState::ResolvedWithPedigree => "resolved_with_pedigree",
            CdxState::Exploitable => "exploitable",
            CdxState::InTriage => "in_triage",
            CdxState::FalsePositive => "false_positive",
            CdxState::NotAffected => "not_affected",
        }
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum CdxJustification {
    CodeNotPresent,
    CodeNotReachable,
    RequiresConfiguration,
    RequiresDependency,
    RequiresEnvironment,
    ProtectedByCompiler,
    ProtectedAtRuntime,
    ProtectedAtPerimeter,
    ProtectedByMitigatingControl,
}

impl CdxJustification {
    fn as_str(self) -> &'static str {
        match self {
            CdxJustification::CodeNotPresent => "code_not_present",
            CdxJustification::CodeNotReachable => "code_not_reachable",
            CdxJustification::RequiresConfiguration => "requires_configuration",
            CdxJustification::RequiresDependency => "requires_dependency",
            CdxJustification::RequiresEnvironment => "requires_environment",
            CdxJustification::ProtectedByCompiler => "protected_by_compiler",
            CdxJustification::ProtectedAtRuntime => "protected_at_runtime",
            CdxJustification::ProtectedAtPerimeter => "protected_at_perimeter",
            CdxJustification::ProtectedByMitigatingControl => "protected_by_mitigating_control",
        }
    }
}

#[derive(Deserialize)]
struct CdxAffects {
    #[serde(rename = "ref")]
    reference: String,
}

/// Every component's `bom-ref` and purl, nested ones and the metadata component included.
fn bom_refs<'a>(c: &'a CdxComponent, out: &mut Vec<(&'a str, Option<&'a str>)>) {
    if let Some(r) = &c.bom_ref {
        out.push((r.as_str(), c.purl.as_deref()));
    }
    for child in &c.components {
        bom_refs(child, out);
    }
}

fn cyclonedx(name: &str, doc: CdxDoc) -> VexDocument {
    let mut refs = Vec::new();
    if let Some(c) = doc.metadata.as_ref().and_then(|m| m.component.as_ref()) {
        bom_refs(c, &mut refs);
    }
    for c in &doc.components {
        bom_refs(c, &mut refs);
    }
    let doc_time = doc.metadata.as_ref().and_then(|m| m.timestamp);
    let serial = doc.serial_number.as_deref().unwrap_or("");
    let mut statements = Vec::new();
    let mut warnings = Vec::new();
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        let place = format!("vulnerabilities[{i}]");
        let Some(analysis) = &v.analysis else {
            continue;
        };
        let Some(state) = analysis.state else {
            continue;
        };
        let vulnerability: Vec<String> =
            v.id.iter()
                .chain(v.references.iter().map(|r| &r.id))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        if vulnerability.is_empty() {
            warnings.push(format!(
                "{name}: {place} has an analysis but no id; it applies to nothing"
            ));
            continue;
        }
        let mut products = Vec::new();
        for (j, a) in v.affects.iter().enumerate() {
            match resolve_ref(&a.reference, &refs, serial) {
                Some(id) => products.push(Product {
                    ids: vec![id],
                    subcomponents: vec![],
                }),
                None => warnings.push(format!(
                    "{name}: {place}.affects[{j}].ref {:?} is neither a purl nor the bom-ref \
                     of a component with a purl in this document; it applies to nothing",
                    a.reference
                )),
            }
        }
        if products.is_empty() {
            if v.affects.is_empty() {
                warnings.push(format!(
                    "{name}: {place} ({}) has no affects[]; it applies to nothing",
                    vulnerability[0]
                ));
            }
            continue;
        }
        statements.push(VexStatement {
            vulnerability,
            products,
            status: state.as_str().into(),
            suppresses: matches!(
                state,
                CdxState::NotAffected
                    | CdxState::FalsePositive
                    | CdxState::Resolved
                    | CdxState::ResolvedWithPedigree
            ),
            justification: analysis.justification.map(|j| j.as_str().to_string()),
            text: analysis
                .detail
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            timestamp: analysis
                .last_updated
                .or(analysis.first_issued)
                .or(v.updated)
                .or(doc_time),
            place,
        });
    }
    VexDocument {
        name: name.to_string(),
        format: VexFormat::CycloneDx,
        statements,
        warnings,
    }
}

/// An `affects[].ref`: a bom-ref of this document (to its component's purl), a BOM-Link to
/// this document or another (its fragment, read the same way), or a purl.
fn resolve_ref(r: &str, refs: &[(&str, Option<&str>)], serial: &str) -> Option<ProductId> {
    let r = r.trim();
    if let Some((_, purl)) = refs.iter().find(|(b, _)| *b == r) {
        return purl.map(ProductId::new);
    }
    if let Some(link) = r.strip_prefix("urn:cdx:") {
        let (doc, fragment) = link.split_once('#')?;
        let fragment = percent_decode(fragment);
        let same_doc = serial
            .strip_prefix("urn:uuid:")
            .is_some_and(|s| doc.starts_with(s));
        if let Some((_, purl)) = refs.iter().find(|(b, _)| *b == fragment)
            && (same_doc || purl.is_some())
        {
            return purl.map(ProductId::new);
        }
        // A BOM-Link into the SBOM the findings came from: Syft and Trivy use purls as
        // bom-refs, so the fragment is usually the purl.
        return match ProductId::new(&fragment) {
            p @ ProductId::Purl(_) => Some(p),
            ProductId::Other(_) => None,
        };
    }
    match ProductId::new(r) {
        p @ ProductId::Purl(_) => Some(p),
        ProductId::Other(_) => None,
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(h) = b.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(h).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purls(ids: &[ProductId]) -> Vec<String> {
        ids.iter()
            .map(|i| match i {
                ProductId::Purl(p) => format!("{}:{}", p.ty(), p.name()),
                ProductId::Other(o) => o.clone(),
            })
            .collect()
    }

    /// The OpenVEX specification's own example (Spring Boot and log4shell), reduced.
    const OPENVEX: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://openvex.dev/docs/public/vex-2e67563e128250cbcb3e98930df948dd053e43271d70dc50cfa22d57e03fe96f",
  "author": "Spring Builds <spring-builds@users.noreply.github.com>",
  "timestamp": "2023-01-16T19:07:16.853479631-06:00",
  "version": 1,
  "statements": [
    {
      "vulnerability": {
        "@id": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
        "name": "CVE-2021-44228",
        "aliases": ["GHSA-jfh8-c2jp-5v3q"]
      },
      "products": [
        {
          "@id": "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3",
          "identifiers": {"purl": "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3"},
          "subcomponents": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]
        }
      ],
      "status": "not_affected",
      "justification": "vulnerable_code_not_in_execute_path",
      "impact_statement": "Only applications using log4j-core and including user input in log messages are vulnerable."
    },
    {
      "vulnerability": {"name": "CVE-2023-12345"},
      "timestamp": "2023-01-09T09:08:42-06:00",
      "products": [{"@id": "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"}],
      "status": "under_investigation"
    }
  ]
}"#;

    #[test]
    fn reads_openvex() {
        let d = parse("vex.openvex.json", OPENVEX.as_bytes()).unwrap();
        assert_eq!(d.format, VexFormat::OpenVex);
        assert_eq!(d.statements.len(), 2);
        let s = &d.statements[0];
        assert_eq!(
            s.vulnerability,
            [
                "CVE-2021-44228",
                "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
                "CVE-2021-44228",
                "GHSA-jfh8-c2jp-5v3q"
            ]
        );
        assert!(s.suppresses);
        assert_eq!(s.status, "not_affected");
        assert_eq!(
            s.justification.as_deref(),
            Some("vulnerable_code_not_in_execute_path")
        );
        assert!(s.text.as_deref().unwrap().starts_with("Only applications"));
        assert_eq!(
            purls(&s.products[0].ids),
            ["maven:spring-boot", "maven:spring-boot"]
        );
        assert_eq!(purls(&s.products[0].subcomponents[0]), ["maven:log4j-core"]);
        // The document's timestamp cascades; a statement's own overrides it.
        assert_eq!(
            s.timestamp.unwrap().to_string(),
            "2023-01-17T01:07:16.853479631Z"
        );
        assert_eq!(
            d.statements[1].timestamp.unwrap().to_string(),
            "2023-01-09T15:08:42Z"
        );
        assert!(!d.statements[1].suppresses);
    }

    #[test]
    fn reads_openvex_0_0_x_strings() {
        let doc = r#"{"@context": "https://openvex.dev/ns", "statements": [
            {"vulnerability": "CVE-2023-1", "products": ["pkg:pypi/requests@2.31.0"],
             "status": "fixed"}]}"#;
        let d = parse("old.json", doc.as_bytes()).unwrap();
        assert_eq!(d.statements[0].vulnerability, ["CVE-2023-1"]);
        assert_eq!(purls(&d.statements[0].products[0].ids), ["pypi:requests"]);
        assert!(d.statements[0].suppresses);
    }

    #[test]
    fn openvex_statements_that_cannot_apply_are_warnings() {
        let doc = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
            {"vulnerability": {"name": "CVE-2023-1"}, "status": "not_affected",
             "justification": "component_not_present"}]}"#;
        let d = parse("v.json", doc.as_bytes()).unwrap();
        assert!(d.statements.is_empty());
        assert_eq!(d.warnings.len(), 1);
        assert!(d.warnings[0].contains("statements[0] (CVE-2023-1) names no product"));
    }

    #[test]
    fn bad_documents_point_at_line_and_column() {
        type Case<'a> = (&'a str, Option<(u64, u64)>, &'a str);
        let cases: &[Case] = &[
            (
                "{\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n \"statements\": [\n  {\"vulnerability\": {\"name\": \"CVE-1\"}, \"products\": [\"pkg:x/y\"],\n   \"status\": \"maybe\"}]}",
                Some((4, 20)),
                "statements[0].status: unknown variant `maybe`",
            ),
            (
                "{\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n \"statements\": [{\"products\": [], \"status\": \"fixed\"}]}",
                Some((2, 51)),
                "statements[0]: missing field `vulnerability`",
            ),
            (
                "{\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n \"timestamp\": \"yesterday\", \"statements\": []}",
                Some((2, 25)),
                "timestamp: timestamp \"yesterday\" is not an RFC 3339 time",
            ),
            (
                "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"statements\": [\n {\"vulnerability\": {\"name\": \"CVE-1\"}, \"products\": [], \"status\": \"not_affected\", \"justification\": \"because\"}]}",
                Some((2, 106)),
                "statements[0].justification: unknown variant `because`",
            ),
            (
                "{\"bomFormat\": \"CycloneDX\",\n \"vulnerabilities\": [{\"id\": \"CVE-1\",\n  \"analysis\": {\"state\": \"wontfix\"}}]}",
                Some((3, 33)),
                "vulnerabilities[0].analysis.state: unknown variant `wontfix`",
            ),
            (
                "{\"bomFormat\": \"CycloneDX\", \"vulnerabilities\": [{\"id\": 7}]}",
                Some((1, 55)),
                "vulnerabilities[0].id: invalid type: integer `7`",
            ),
            ("{\"statements\": []", Some((1, 17)), "EOF"),
            (
                "{\"bomFormat\": \"CycloneDX\"} x",
                Some((1, 28)),
                "trailing characters",
            ),
            (
                "{\"spdxVersion\": \"SPDX-2.3\"}",
                None,
                "not a VEX document",
            ),
            ("[]", None, "not a VEX document"),
        ];
        for (doc, at, msg) in cases {
            let e = parse("vex.json", doc.as_bytes()).unwrap_err();
            assert_eq!(e.at, *at, "{doc}: {e}");
            assert!(e.message.contains(msg), "{doc}: {e}");
            assert!(!e.message.contains(" at line "), "{e}");
        }
    }

    /// A CycloneDX 1.6 VEX in the shape CycloneDX's own VEX examples use: components with
    /// bom-refs, vulnerabilities whose `affects` point at them (or at a purl, or a BOM-Link).
    const CYCLONEDX: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  "version": 1,
  "metadata": {"timestamp": "2024-06-01T00:00:00Z",
               "component": {"type": "container", "name": "demo", "bom-ref": "image",
                             "purl": "pkg:oci/demo@sha256%3A4d70a30a50b3ec0529ff7c3efa951fe00e0214276b37cedd73ed46a06b4c93ef"}},
  "components": [
    {"type": "library", "name": "requests", "version": "2.31.0",
     "bom-ref": "requests-ref", "purl": "pkg:pypi/requests@2.31.0"},
    {"type": "library", "name": "nopurl", "bom-ref": "nopurl-ref"}
  ],
  "vulnerabilities": [
    {"id": "CVE-2024-35195",
     "references": [{"id": "GHSA-9wx4-h78v-vm56", "source": {"name": "GitHub"}}],
     "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                  "detail": "We never call requests with verify=False.",
                  "lastUpdated": "2024-06-02T10:00:00Z"},
     "affects": [{"ref": "requests-ref"}]},
    {"id": "CVE-2023-5678",
     "analysis": {"state": "exploitable"},
     "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#image"},
                 {"ref": "pkg:deb/debian/libssl3"}]},
    {"id": "CVE-2020-1", "affects": [{"ref": "requests-ref"}]},
    {"id": "CVE-2020-2", "analysis": {"state": "resolved"},
     "affects": [{"ref": "nopurl-ref"}, {"ref": "no-such-ref"},
                 {"ref": "urn:cdx:5a3d2f1e-0000-4000-8000-000000000000/3#pkg%3Anpm%2Fleft-pad%401.3.0"}]}
  ]
}"#;

    #[test]
    fn reads_cyclonedx_vex() {
        let d = parse("bom.cdx.json", CYCLONEDX.as_bytes()).unwrap();
        assert_eq!(d.format, VexFormat::CycloneDx);
        // The entry without analysis is a vulnerability report, not a statement.
        assert_eq!(d.statements.len(), 3);
        let s = &d.statements[0];
        assert_eq!(s.vulnerability, ["CVE-2024-35195", "GHSA-9wx4-h78v-vm56"]);
        assert!(s.suppresses);
        assert_eq!(s.justification.as_deref(), Some("code_not_reachable"));
        assert_eq!(
            s.text.as_deref(),
            Some("We never call requests with verify=False.")
        );
        assert_eq!(s.timestamp.unwrap().to_string(), "2024-06-02T10:00:00Z");
        assert_eq!(purls(&s.products[0].ids), ["pypi:requests"]);
        let s = &d.statements[1];
        assert!(!s.suppresses);
        assert_eq!(s.status, "exploitable");
        assert_eq!(s.timestamp.unwrap().to_string(), "2024-06-01T00:00:00Z");
        let ids: Vec<_> = s.products.iter().flat_map(|p| purls(&p.ids)).collect();
        assert_eq!(ids, ["oci:demo", "deb:libssl3"]);
        // A BOM-Link into another BOM whose fragment is a purl still resolves; refs to
        // nothing (or to a component without a purl) are warnings.
        let s = &d.statements[2];
        assert_eq!(purls(&s.products[0].ids), ["npm:left-pad"]);
        assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);
        assert!(d.warnings[0].contains("vulnerabilities[3].affects[0].ref \"nopurl-ref\""));
        assert!(d.warnings[1].contains("\"no-such-ref\""));
    }
}
