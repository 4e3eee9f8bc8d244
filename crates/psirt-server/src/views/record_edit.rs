//! The timeline's view of one edit of the advisory record
//! ([`RecordEditData`]): each edit destructured by name in an exhaustive
//! match, so a field added to a core edit is not shown until this view
//! names it. It must never show anything but the record's public facts.

use serde::Serialize;

/// One edit of the advisory record, as the timeline shows it: the edit's
/// name under `edit`, then its fields, each named (the same JSON as the
/// core's storage form, but made here, so a field added to an edit is not
/// shown until this view names it).
#[derive(Serialize)]
#[serde(rename_all = "snake_case", tag = "edit")]
pub enum RecordEditData<'a> {
    SetProduct(ProductData<'a>),
    RemoveProduct {
        package: &'a str,
        ecosystem: &'a str,
    },
    AddWeakness(WeaknessData<'a>),
    RemoveWeakness {
        cwe: &'a psirt_core::CweId,
    },
    Describe {
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        impact: Option<&'a str>,
    },
    AddReference(ReferenceData<'a>),
    RemoveReference {
        url: &'a str,
    },
    AddAlias {
        alias: &'a str,
    },
    RemoveAlias {
        alias: &'a str,
    },
}

/// An affected product in a record edit.
#[derive(Serialize)]
pub struct ProductData<'a> {
    pub package: &'a str,
    pub ecosystem: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<&'a psirt_core::Purl>,
    pub ranges: Vec<RangeData<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub branches: &'a [String],
}

/// A version range in a record edit.
#[derive(Serialize)]
pub struct RangeData<'a> {
    /// `semver`, `ecosystem` or `git`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<&'a str>,
    pub introduced: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<&'a str>,
}

/// A weakness in a record edit.
#[derive(Serialize)]
pub struct WeaknessData<'a> {
    pub cwe: &'a psirt_core::CweId,
    pub name: &'a str,
}

/// A reference in a record edit.
#[derive(Serialize)]
pub struct ReferenceData<'a> {
    /// As `ReferenceKind::as_str` names it.
    pub kind: &'static str,
    pub url: &'a str,
}

impl<'a> RecordEditData<'a> {
    /// The fields of `edit` that the timeline shows: all of them, named.
    pub(super) fn of(edit: &'a psirt_core::RecordEdit) -> RecordEditData<'a> {
        use psirt_core::RecordEdit as E;
        match edit {
            E::SetProduct(product) => {
                let psirt_core::AffectedProduct {
                    package,
                    ecosystem,
                    purl,
                    ranges,
                    branches,
                } = product;
                RecordEditData::SetProduct(ProductData {
                    package,
                    ecosystem,
                    purl: purl.as_ref(),
                    ranges: ranges.iter().map(RangeData::of).collect(),
                    branches,
                })
            }
            E::RemoveProduct { package, ecosystem } => {
                RecordEditData::RemoveProduct { package, ecosystem }
            }
            E::AddWeakness(weakness) => {
                let psirt_core::Weakness { cwe, name } = weakness;
                RecordEditData::AddWeakness(WeaknessData { cwe, name })
            }
            E::RemoveWeakness { cwe } => RecordEditData::RemoveWeakness { cwe },
            E::Describe {
                title,
                description,
                impact,
            } => RecordEditData::Describe {
                title: title.as_deref(),
                description: description.as_deref(),
                impact: impact.as_deref(),
            },
            E::AddReference(reference) => {
                let psirt_core::Reference { kind, url } = reference;
                RecordEditData::AddReference(ReferenceData {
                    kind: kind.as_str(),
                    url,
                })
            }
            E::RemoveReference { url } => RecordEditData::RemoveReference { url },
            E::AddAlias { alias } => RecordEditData::AddAlias { alias },
            E::RemoveAlias { alias } => RecordEditData::RemoveAlias { alias },
        }
    }
}

impl<'a> RangeData<'a> {
    fn of(range: &'a psirt_core::VersionRange) -> RangeData<'a> {
        let psirt_core::VersionRange {
            kind,
            repo,
            introduced,
            fixed,
            last_affected,
        } = range;
        RangeData {
            kind: kind.as_str(),
            repo: repo.as_deref(),
            introduced,
            fixed: fixed.as_deref(),
            last_affected: last_affected.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;
    use psirt_core::Change;

    use super::super::events::EventData;

    /// One of every record edit, each field set, then the optional ones
    /// absent: their views must show what the core's form showed.
    fn record_edits() -> Vec<Change> {
        use psirt_core::{
            AffectedProduct, RangeKind, RecordEdit as E, Reference, ReferenceKind, VersionRange,
            Weakness,
        };
        let text = || "text".to_string();
        let cwe = || "CWE-79".parse().unwrap();
        let range = |full: bool| VersionRange {
            kind: RangeKind::Git,
            repo: full.then(text),
            introduced: "0".into(),
            fixed: full.then(text),
            last_affected: full.then(text),
        };
        let product = |full: bool| AffectedProduct {
            package: text(),
            ecosystem: "crates.io".into(),
            purl: full.then(|| "pkg:cargo/serde".parse().unwrap()),
            ranges: vec![range(full)],
            branches: if full { vec![text()] } else { Vec::new() },
        };
        [
            E::SetProduct(product(true)),
            E::SetProduct(product(false)),
            E::RemoveProduct {
                package: text(),
                ecosystem: text(),
            },
            E::AddWeakness(Weakness {
                cwe: cwe(),
                name: text(),
            }),
            E::RemoveWeakness { cwe: cwe() },
            E::Describe {
                title: Some(text()),
                description: Some(text()),
                impact: Some(text()),
            },
            E::Describe {
                title: None,
                description: None,
                impact: None,
            },
            E::AddReference(Reference {
                kind: ReferenceKind::FixCommit,
                url: text(),
            }),
            E::RemoveReference { url: text() },
            E::AddAlias { alias: text() },
            E::RemoveAlias { alias: text() },
        ]
        .into_iter()
        .map(Change::RecordEdited)
        .collect()
    }

    /// The keys each record edit shows, by edit.
    #[test]
    fn the_keys_of_each_record_edit_view() {
        let listing: String = record_edits()
            .iter()
            .map(|change| {
                let data = serde_json::to_value(EventData::of(change)).unwrap();
                // The same JSON as the core's storage form, less its `type`.
                let mut stored = serde_json::to_value(change).unwrap();
                stored.as_object_mut().unwrap().remove("type");
                assert_eq!(data, stored);
                let keys: Vec<String> = data
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| match v {
                        serde_json::Value::Object(o) => format!(
                            "{k} {{{}}}",
                            o.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        serde_json::Value::Array(a) => match a.first() {
                            Some(serde_json::Value::Object(o)) => format!(
                                "{k} [{}]",
                                o.keys().cloned().collect::<Vec<_>>().join(", ")
                            ),
                            _ => k.clone(),
                        },
                        _ => k.clone(),
                    })
                    .collect();
                format!("{}\n", keys.join(", "))
            })
            .collect();
        expect![[r#"
            branches, ecosystem, edit, package, purl, ranges [fixed, introduced, kind, last_affected, repo]
            ecosystem, edit, package, ranges [introduced, kind]
            ecosystem, edit, package
            cwe, edit, name
            cwe, edit
            description, edit, impact, title
            edit
            edit, kind, url
            edit, url
            alias, edit
            alias, edit
        "#]].assert_eq(&listing);
    }
}
