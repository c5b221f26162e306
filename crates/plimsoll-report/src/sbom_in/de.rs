//! The two SBOM formats as typed serde structs that borrow their strings from the document,
//! and the streaming reader of CycloneDX components.
//!
//! A `serde_json::Value` tree of a CycloneDX document with a million small components took
//! 13 times the document's size (a map, a key `String` and a `Value` per field). Here only
//! the fields read are kept, strings are `Cow`s borrowed from the input when they have no
//! escapes, and CycloneDX components (the bulk of a large document) become packages as they
//! are parsed, one at a time, nested ones included: nothing but the packages outlives a
//! component. SPDX packages are read into borrowed structs first, since relationships and
//! files elsewhere in the document say things about them.
//!
//! Structure is checked as it is read: a list that is a string, a name that is a number,
//! is an error with the JSON path (`$.components[3].properties`). An entry of a list that
//! is not an object, or a component without a name, is skipped and counted ([`Skips`]).

use super::{Props, SbomFormat, SbomRead, build_package, source_info_path};
use plimsoll_model::{OsInfo, Package};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::marker::PhantomData;

/// A string of the document, borrowed from it when it has no escapes.
#[derive(Deserialize, Debug, Clone)]
#[serde(transparent)]
pub(super) struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'a> Text<'a> {
    fn into_cow(self) -> Cow<'a, str> {
        self.0
    }
    fn into_string(self) -> String {
        self.0.into_owned()
    }
}

/// An entry of a list: an object, or something else, which is skipped and counted.
enum Obj<T> {
    Yes(T),
    No,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(m)).map(Obj::Yes)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Obj<T>, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Obj::No)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Obj<T>, E> {
                Ok(Obj::No)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Obj<T>, E> {
                Ok(Obj::No)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Obj<T>, E> {
                Ok(Obj::No)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Obj<T>, E> {
                Ok(Obj::No)
            }
            fn visit_str<E>(self, _: &str) -> Result<Obj<T>, E> {
                Ok(Obj::No)
            }
            fn visit_unit<E>(self) -> Result<Obj<T>, E> {
                Ok(Obj::No)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// An object, and only an object: serde_json also reads a struct from an array of its
/// field values, which no SBOM means.
pub(super) struct Map<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Map<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Map<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Map<T>, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(m)).map(Map)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// Entries of one kind skipped so far: how many, and the JSON path of the first.
#[derive(Default)]
struct Tally {
    count: usize,
    first: Option<String>,
}

impl Tally {
    fn add(&mut self, path: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(path());
        }
    }
}

/// Everything skipped while reading a document, for its warnings.
#[derive(Default)]
struct Skips {
    /// List entries that are not objects (a string among the components).
    not_object: Tally,
    /// Components or packages with neither a name nor a purl naming them.
    unnamed: Tally,
    /// SPDX packages without a purl: nothing tells their ecosystem.
    no_purl: Tally,
}

impl Skips {
    fn warnings(&self, what: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut say = |t: &Tally, text: &str| {
            if t.count > 0 {
                out.push(format!(
                    "SBOM: {} {text}; skipped (the first at {})",
                    t.count,
                    t.first.as_deref().unwrap_or("$")
                ));
            }
        };
        say(&self.not_object, "list entries are not JSON objects");
        say(
            &self.unnamed,
            &format!("{what} have no name (null or missing)"),
        );
        say(
            &self.no_purl,
            &format!("{what} have no purl, so no ecosystem to match them in"),
        );
        out
    }
}

/// Parses `bytes` as one `T`; a structural error names the JSON path where it was found.
pub(super) fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = serde_path_to_error::deserialize(&mut de).map_err(path_error)?;
    de.end().map_err(|e| format!("not a JSON document: {e}"))?;
    Ok(v)
}

fn path_error(e: serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = json_path(&e.path().to_string());
    let inner = e.into_inner();
    if inner.to_string().starts_with("recursion limit exceeded") {
        return format!("nested too deeply at {path}: {inner}");
    }
    if inner.is_data() {
        format!("invalid structure at {path}: {inner}")
    } else {
        format!("not a JSON document: {inner}")
    }
}

/// serde_path_to_error's `components[3].name` (`.` for the root) as `$.components[3].name`.
fn json_path(p: &str) -> String {
    match p {
        "." => "$".into(),
        _ if p.starts_with('[') => format!("${p}"),
        _ => format!("$.{p}"),
    }
}

/// The fields that tell the format, and CycloneDX `metadata` (read first: it gives the
/// layer order the components refer to).
#[derive(Deserialize)]
pub(super) struct Probe<'a> {
    #[serde(rename = "bomFormat", borrow, default)]
    pub bom_format: Option<Text<'a>>,
    #[serde(rename = "specVersion", borrow, default)]
    pub spec_version: Option<Text<'a>>,
    #[serde(rename = "spdxVersion", borrow, default)]
    pub spdx_version: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub metadata: Option<Map<CdxMetadata<'a>>>,
}

#[derive(Deserialize)]
pub(super) struct CdxMetadata<'a> {
    #[serde(borrow, default)]
    component: Option<Map<CdxRoot<'a>>>,
}

#[derive(Deserialize)]
struct CdxRoot<'a> {
    #[serde(borrow, default)]
    properties: Option<Vec<Obj<Property<'a>>>>,
}

#[derive(Deserialize)]
struct Property<'a> {
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    value: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct LicenseChoice<'a> {
    #[serde(borrow, default)]
    expression: Option<Text<'a>>,
    #[serde(borrow, default)]
    license: Option<Map<License<'a>>>,
}

#[derive(Deserialize)]
struct License<'a> {
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
}

/// Properties as (name, value) pairs; entries that are not objects are counted at `path`.
fn props<'a>(
    list: Option<Vec<Obj<Property<'a>>>>,
    skips: &mut Skips,
    path: impl Fn() -> String,
) -> Props<'a> {
    let mut out = Vec::new();
    for (i, p) in list.into_iter().flatten().enumerate() {
        match p {
            Obj::Yes(Property {
                name: Some(n),
                value,
            }) => out.push((n.into_cow(), value.map(Text::into_cow).unwrap_or_default())),
            Obj::Yes(_) => {}
            Obj::No => skips.not_object.add(|| format!("{}[{i}]", path())),
        }
    }
    out
}

/// One CycloneDX component's fields that matter, as read.
#[derive(Default)]
struct CdxComponent<'a> {
    ty: Option<Text<'a>>,
    name: Option<Text<'a>>,
    group: Option<Text<'a>>,
    version: Option<Text<'a>>,
    purl: Option<Text<'a>>,
    bom_ref: Option<Text<'a>>,
    properties: Option<Vec<Obj<Property<'a>>>>,
    licenses: Option<Vec<Obj<LicenseChoice<'a>>>>,
}

/// Where CycloneDX components go as they are read.
struct Cdx<'l> {
    layers: &'l HashMap<String, usize>,
    os: Option<OsInfo>,
    /// One slot per component, in document order (a component before those nested in
    /// it); `keep` tells which slots hold a package.
    out: Vec<Package>,
    keep: Vec<bool>,
    /// Indexes of the component being read and of those it is nested in.
    at: Vec<usize>,
    skips: Skips,
}

/// `$.components[1].components[0]` for indexes `[1, 0]`.
fn path_of(at: &[usize]) -> String {
    let mut s = String::from("$");
    for i in at {
        let _ = write!(s, ".components[{i}]");
    }
    s
}

impl Cdx<'_> {
    fn path(&self) -> String {
        path_of(&self.at)
    }

    /// Turns a component read into a package, in slot `slot`.
    fn finish(&mut self, slot: usize, c: CdxComponent<'_>) {
        let ty = c.ty.as_deref().unwrap_or("library");
        if ty == "operating-system" {
            if self.os.is_none()
                && let Some(family) = c.name
            {
                self.os = Some(OsInfo {
                    family: family.to_ascii_lowercase(),
                    version: c.version.map(Text::into_string).unwrap_or_default(),
                });
            }
            return;
        }
        let purl = c.purl.map(Text::into_string).filter(|p| !p.is_empty());
        // Trivy's `application` components (one per lockfile) and files carry no package;
        // nor does an image listed as a component.
        if ty == "container" || (purl.is_none() && !matches!(ty, "library" | "framework")) {
            return;
        }
        let name = c.name.filter(|n| !n.is_empty());
        let name = match (c.group.filter(|g| !g.is_empty()), name) {
            (Some(g), Some(n)) => Some(format!("{}/{}", &*g, &*n)),
            (_, n) => n.map(Text::into_string),
        };
        let at = &self.at;
        let props = props(c.properties, &mut self.skips, || {
            format!("{}.properties", path_of(at))
        });
        let mut licenses = Vec::new();
        for (i, l) in c.licenses.into_iter().flatten().enumerate() {
            match l {
                Obj::Yes(l) => {
                    if let Some(e) = l.expression {
                        licenses.push(e.into_string());
                    } else if let Some(x) = l.license.and_then(|Map(lic)| lic.id.or(lic.name)) {
                        licenses.push(x.into_string());
                    }
                }
                Obj::No => {
                    let path = self.path();
                    self.skips
                        .not_object
                        .add(|| format!("{path}.licenses[{i}]"));
                }
            }
        }
        let oci = purl
            .as_deref()
            .is_some_and(|p| p.to_ascii_lowercase().starts_with("pkg:oci/"));
        match build_package(
            c.bom_ref.map(Text::into_string),
            name,
            c.version.map(Text::into_string),
            purl,
            licenses,
            &props,
            self.layers,
        ) {
            Some(p) => {
                self.out[slot] = p;
                self.keep[slot] = true;
            }
            None if !oci => {
                let path = self.path();
                self.skips.unnamed.add(|| path);
            }
            None => {}
        }
    }
}

/// A `components` list (null or absent is an empty one).
struct Components<'s, 'l>(&'s mut Cdx<'l>);

impl<'de> DeserializeSeed<'de> for Components<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Components<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of components")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let sink = self.0;
        for i in 0.. {
            sink.at.push(i);
            let more = seq.next_element_seed(Component(&mut *sink))?.is_some();
            sink.at.pop();
            if !more {
                break;
            }
        }
        Ok(())
    }
}

/// One entry of a `components` list: a component, or something else (counted).
struct Component<'s, 'l>(&'s mut Cdx<'l>);

impl<'de> DeserializeSeed<'de> for Component<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Component<'_, '_> {
    fn not_object(self) {
        let path = self.0.path();
        self.0.skips.not_object.add(|| path);
    }
}

impl<'de> Visitor<'de> for Component<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a component")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let sink = self.0;
        let slot = sink.out.len();
        sink.out.push(Package::default());
        sink.keep.push(false);
        let mut c = CdxComponent::default();
        while let Some(key) = m.next_key::<Text<'de>>()? {
            match &*key {
                "type" => c.ty = m.next_value()?,
                "name" => c.name = m.next_value()?,
                "group" => c.group = m.next_value()?,
                "version" => c.version = m.next_value()?,
                "purl" => c.purl = m.next_value()?,
                "bom-ref" => c.bom_ref = m.next_value()?,
                "properties" => c.properties = m.next_value()?,
                "licenses" => c.licenses = m.next_value()?,
                "components" => m.next_value_seed(Components(&mut *sink))?,
                _ => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        sink.finish(slot, c);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        self.not_object();
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_object();
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_object();
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_object();
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_object();
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_object();
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_object();
        Ok(())
    }
}

/// The document's top level: only `components` is read (the rest was in [`Probe`]).
struct CdxDoc<'s, 'l>(&'s mut Cdx<'l>);

impl<'de> DeserializeSeed<'de> for CdxDoc<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CdxDoc<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CycloneDX document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some(key) = m.next_key::<Text<'de>>()? {
            if &*key == "components" {
                m.next_value_seed(Components(&mut *self.0))?;
            } else {
                m.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

pub(super) fn read_cyclonedx(
    bytes: &[u8],
    metadata: Option<Map<CdxMetadata<'_>>>,
) -> Result<SbomRead, String> {
    let mut skips = Skips::default();
    // Layer order: plimsoll's root component lists the diff_ids in order. Trivy's
    // `aquasecurity:trivy:DiffID` properties are sorted by value, not by layer (seen in real
    // Trivy 0.59 output), so they cannot give an index: Trivy packages keep their diff_id in
    // metadata and no layer index.
    let mut layers = HashMap::new();
    let root = metadata.and_then(|Map(m)| m.component);
    for (k, v) in props(root.and_then(|Map(r)| r.properties), &mut skips, || {
        "$.metadata.component.properties".into()
    }) {
        if k == "plimsoll:layer:diff_id" {
            let n = layers.len();
            layers.entry(v.into_owned()).or_insert(n);
        }
    }
    let mut sink = Cdx {
        layers: &layers,
        os: None,
        out: Vec::new(),
        keep: Vec::new(),
        at: Vec::new(),
        skips,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut track = serde_path_to_error::Track::new();
    let r =
        CdxDoc(&mut sink).deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    if let Err(e) = r {
        return Err(path_error(serde_path_to_error::Error::new(track.path(), e)));
    }
    let keep = std::mem::take(&mut sink.keep);
    let mut i = 0;
    // In place: a second vector of a million packages would double the peak.
    sink.out.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    Ok(SbomRead {
        format: SbomFormat::CycloneDx,
        os: sink.os,
        packages: sink.out,
        warnings: sink.skips.warnings("components"),
    })
}

#[derive(Deserialize)]
struct SpdxDoc<'a> {
    #[serde(borrow, default)]
    packages: Option<Vec<Obj<SpdxPackage<'a>>>>,
    #[serde(borrow, default)]
    files: Option<Vec<Obj<SpdxFile<'a>>>>,
    #[serde(borrow, default)]
    relationships: Option<Vec<Obj<Relationship<'a>>>>,
    #[serde(rename = "hasExtractedLicensingInfos", borrow, default)]
    extracted: Option<Vec<Obj<Extracted<'a>>>>,
}

#[derive(Deserialize)]
struct SpdxPackage<'a> {
    #[serde(rename = "SPDXID", borrow, default)]
    spdx_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(rename = "versionInfo", borrow, default)]
    version_info: Option<Text<'a>>,
    #[serde(rename = "primaryPackagePurpose", borrow, default)]
    purpose: Option<Text<'a>>,
    #[serde(rename = "sourceInfo", borrow, default)]
    source_info: Option<Text<'a>>,
    #[serde(rename = "licenseDeclared", borrow, default)]
    license_declared: Option<Text<'a>>,
    #[serde(rename = "licenseConcluded", borrow, default)]
    license_concluded: Option<Text<'a>>,
    #[serde(rename = "externalRefs", borrow, default)]
    external_refs: Option<Vec<Obj<ExternalRef<'a>>>>,
    #[serde(borrow, default)]
    annotations: Option<Vec<Obj<Annotation<'a>>>>,
}

#[derive(Deserialize)]
struct ExternalRef<'a> {
    #[serde(rename = "referenceType", borrow, default)]
    reference_type: Option<Text<'a>>,
    #[serde(rename = "referenceLocator", borrow, default)]
    reference_locator: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Annotation<'a> {
    #[serde(borrow, default)]
    comment: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct SpdxFile<'a> {
    #[serde(rename = "SPDXID", borrow, default)]
    spdx_id: Option<Text<'a>>,
    #[serde(rename = "fileName", borrow, default)]
    file_name: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Relationship<'a> {
    #[serde(rename = "spdxElementId", borrow, default)]
    element: Option<Text<'a>>,
    #[serde(rename = "relatedSpdxElement", borrow, default)]
    related: Option<Text<'a>>,
    #[serde(rename = "relationshipType", borrow, default)]
    ty: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Extracted<'a> {
    #[serde(rename = "licenseId", borrow, default)]
    license_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(rename = "extractedText", borrow, default)]
    extracted_text: Option<Text<'a>>,
}

/// The objects of a list; the others are counted at `$.{list}[i]`.
fn objects<T>(list: Option<Vec<Obj<T>>>, skips: &mut Skips, path: &str) -> Vec<T> {
    let mut out = Vec::new();
    for (i, e) in list.into_iter().flatten().enumerate() {
        match e {
            Obj::Yes(x) => out.push(x),
            Obj::No => skips.not_object.add(|| format!("{path}[{i}]")),
        }
    }
    out
}

/// `KEY: VALUE` annotation comments as properties; Trivy's bare keys
/// (`LayerDiffID: sha256:…`) get its `aquasecurity:trivy:` prefix.
fn annotations<'a>(
    list: Option<Vec<Obj<Annotation<'a>>>>,
    skips: &mut Skips,
    path: &str,
) -> Props<'a> {
    let mut out = Vec::new();
    for a in objects(list, skips, path) {
        let Some(c) = a.comment else { continue };
        let (k, v): (Cow<'a, str>, Cow<'a, str>) = match c.into_cow() {
            Cow::Borrowed(c) => match c.split_once(": ") {
                Some((k, v)) => (k.into(), v.into()),
                None => continue,
            },
            Cow::Owned(c) => match c.split_once(": ") {
                Some((k, v)) => (k.to_string().into(), v.to_string().into()),
                None => continue,
            },
        };
        let k = if k.contains(':') {
            k
        } else {
            format!("aquasecurity:trivy:{k}").into()
        };
        out.push((k, v));
    }
    out
}

pub(super) fn read_spdx(bytes: &[u8]) -> Result<SbomRead, String> {
    let Map(doc): Map<SpdxDoc<'_>> = parse(bytes)?;
    let mut skips = Skips::default();
    let extracted: HashMap<String, String> =
        objects(doc.extracted, &mut skips, "$.hasExtractedLicensingInfos")
            .into_iter()
            .filter_map(|e| {
                let id = e.license_id?.into_string();
                let name = e
                    .name
                    .filter(|n| !n.is_empty() && &**n != "NOASSERTION")
                    .or(e.extracted_text)?
                    .into_string();
                Some((id, name))
            })
            .collect();
    let files = objects(doc.files, &mut skips, "$.files");
    let file_names: HashMap<&str, &str> = files
        .iter()
        .filter_map(|f| Some((f.spdx_id.as_deref()?, f.file_name.as_deref()?)))
        .collect();
    // Package SPDXID -> the first file it CONTAINS.
    let relationships = objects(doc.relationships, &mut skips, "$.relationships");
    let mut contains: HashMap<&str, String> = HashMap::new();
    for r in &relationships {
        if r.ty.as_deref() == Some("CONTAINS")
            && let (Some(a), Some(b)) = (r.element.as_deref(), r.related.as_deref())
            && let Some(name) = file_names.get(b)
        {
            contains
                .entry(a)
                .or_insert_with(|| name.trim_start_matches(['.', '/']).to_string());
        }
    }
    let mut pkgs = Vec::new();
    for (i, p) in doc.packages.into_iter().flatten().enumerate() {
        match p {
            Obj::Yes(p) => pkgs.push((i, p)),
            Obj::No => skips.not_object.add(|| format!("$.packages[{i}]")),
        }
    }
    let mut layers = HashMap::new();
    let mut os = None;
    let mut out = Vec::new();
    // Annotations first: the image's (CONTAINER or FILE) give the layer order that the
    // others' refer to.
    let mut read: Vec<(usize, SpdxPackage<'_>, Props<'_>)> = Vec::with_capacity(pkgs.len());
    for (i, mut p) in pkgs {
        let props = annotations(
            p.annotations.take(),
            &mut skips,
            &format!("$.packages[{i}].annotations"),
        );
        if matches!(p.purpose.as_deref(), Some("CONTAINER" | "FILE")) {
            for (k, v) in &props {
                // Trivy's DiffID list is sorted by value, not layer order (see read_cyclonedx).
                if k == "plimsoll:layer:diff_id" {
                    let n = layers.len();
                    layers.entry(v.to_string()).or_insert(n);
                }
            }
        }
        read.push((i, p, props));
    }
    for (i, p, mut props) in read {
        let purpose = p.purpose.as_deref();
        if matches!(purpose, Some("OPERATING_SYSTEM" | "OPERATING-SYSTEM")) {
            if os.is_none()
                && let Some(family) = p.name
            {
                os = Some(OsInfo {
                    family: family.to_ascii_lowercase(),
                    version: p.version_info.map(Text::into_string).unwrap_or_default(),
                });
            }
            continue;
        }
        // The image, directories and lockfile "applications": no package of their own.
        if matches!(purpose, Some("CONTAINER" | "FILE")) {
            continue;
        }
        let purl = objects(
            p.external_refs,
            &mut skips,
            &format!("$.packages[{i}].externalRefs"),
        )
        .into_iter()
        .find(|r| r.reference_type.as_deref() == Some("purl"))
        .and_then(|r| r.reference_locator)
        .map(Text::into_string);
        let Some(purl) = purl else {
            if purpose != Some("APPLICATION") {
                skips.no_purl.add(|| format!("$.packages[{i}]"));
            }
            continue;
        };
        if let Some(si) = p.source_info.as_deref() {
            // Syft: "acquired package info from DPKG DB: /usr/share/doc/x/copyright,
            // /var/lib/dpkg/status"; plimsoll: "… package data: PATH (layer N)".
            if si.starts_with("acquired package info from")
                && let Some(path) = source_info_path(si)
            {
                props.push(("spdx:sourceInfo".into(), path.into()));
            }
            // Trivy: "built package from: openssl 3.0.11-1~deb12u2" names the source package.
            if let Some(rest) = si.strip_prefix("built package from: ")
                && let Some((n, v)) = rest.trim().split_once(' ')
            {
                props.push(("plimsoll:source:name".into(), n.to_string().into()));
                props.push((
                    "plimsoll:source:version".into(),
                    v.trim().to_string().into(),
                ));
            }
        }
        // Trivy lists the files a package was read from as SPDX files it CONTAINS.
        if let Some(id) = p.spdx_id.as_deref()
            && let Some(f) = contains.get(id)
        {
            props.push(("spdx:file".into(), f.clone().into()));
        }
        let licenses = [p.license_declared, p.license_concluded]
            .into_iter()
            .flatten()
            .find(|l| !matches!(&**l, "NOASSERTION" | "NONE" | ""))
            .map(|l| {
                vec![
                    extracted
                        .get(&*l)
                        .cloned()
                        .unwrap_or_else(|| l.into_string()),
                ]
            })
            .unwrap_or_default();
        let oci = purl.to_ascii_lowercase().starts_with("pkg:oci/");
        match build_package(
            None,
            p.name.filter(|n| !n.is_empty()).map(Text::into_string),
            p.version_info.map(Text::into_string),
            Some(purl),
            licenses,
            &props,
            &layers,
        ) {
            Some(pkg) => out.push(pkg),
            None if !oci => skips.unnamed.add(|| format!("$.packages[{i}]")),
            None => {}
        }
    }
    Ok(SbomRead {
        format: SbomFormat::Spdx,
        os,
        packages: out,
        warnings: skips.warnings("packages"),
    })
}
