//! A model folder's weights: one `model.safetensors`, or a sharded checkpoint whose
//! `model.safetensors.index.json` names the file of every tensor.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::tensors::parameter_count;

/// The name of a sharded checkpoint's index in a model folder.
pub const INDEX_FILE: &str = "model.safetensors.index.json";
/// The name of a one-file checkpoint in a model folder.
pub const SINGLE_FILE: &str = "model.safetensors";

#[derive(Deserialize)]
struct Index {
    weight_map: std::collections::BTreeMap<String, String>,
}

/// The shard files an index names, in order, each once.
pub fn shard_names(index_json: &[u8]) -> Result<Vec<String>> {
    let text = std::str::from_utf8(index_json)
        .map_err(|_| Error::Safetensors(format!("{INDEX_FILE}: the file is not UTF-8 text")))?;
    let index: Index = serde_json::from_str(text)
        .map_err(|e| Error::Safetensors(format!("{INDEX_FILE}: not a checkpoint index: {e}")))?;
    let names: BTreeSet<String> = index.weight_map.into_values().collect();
    if names.is_empty() {
        return Err(Error::Safetensors(format!(
            "{INDEX_FILE}: its weight_map names no files"
        )));
    }
    if let Some(bad) = names
        .iter()
        .find(|n| n.contains('/') || n.contains('\\') || n.starts_with('.'))
    {
        return Err(Error::Safetensors(format!(
            "{INDEX_FILE}: shard \"{bad}\" is not a file name in the model folder"
        )));
    }
    Ok(names.into_iter().collect())
}

/// The weight files of a model folder, read: `model.safetensors`, or, when the folder has an
/// index, every shard it names (a missing one is a named error).
#[cfg(not(target_arch = "wasm32"))]
pub fn read_dir(dir: &std::path::Path) -> Result<Vec<(String, Vec<u8>)>> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
    };
    let index = dir.join(INDEX_FILE);
    if !index.exists() {
        return Ok(vec![(SINGLE_FILE.to_string(), read(SINGLE_FILE)?)]);
    }
    let mut files = vec![(INDEX_FILE.to_string(), read(INDEX_FILE)?)];
    for name in shard_names(&files[0].1)? {
        if !dir.join(&name).exists() {
            return Err(Error::MissingShard(name));
        }
        let bytes = read(&name)?;
        files.push((name, bytes));
    }
    Ok(files)
}

/// The weight files of one model, as bytes.
pub struct Checkpoint<'a> {
    files: Vec<&'a [u8]>,
}

impl<'a> Checkpoint<'a> {
    /// The checkpoint among a folder's files (name, bytes): the shards its index names when
    /// there is an index, else `model.safetensors`.
    pub fn from_files(files: &[(&str, &'a [u8])]) -> Result<Self> {
        if let Some((_, index)) = files.iter().find(|(n, _)| *n == INDEX_FILE) {
            return Self::sharded(index, files);
        }
        files
            .iter()
            .find(|(n, _)| *n == SINGLE_FILE)
            .map(|(_, bytes)| Self::single(bytes))
            .ok_or_else(|| {
                Error::Io(format!(
                    "no {SINGLE_FILE} (or {INDEX_FILE} with its shards) among the files"
                ))
            })
    }

    /// A one-file checkpoint (`model.safetensors`).
    pub fn single(bytes: &'a [u8]) -> Self {
        Checkpoint { files: vec![bytes] }
    }

    /// A sharded checkpoint: its index and the files at hand, by name. Every shard the index
    /// names must be among them.
    pub fn sharded(index_json: &[u8], files: &[(&str, &'a [u8])]) -> Result<Self> {
        let wanted = shard_names(index_json)?;
        let files = wanted
            .iter()
            .map(|name| {
                files
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, bytes)| *bytes)
                    .ok_or_else(|| Error::MissingShard(name.clone()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Checkpoint { files })
    }

    pub fn files(&self) -> &[&'a [u8]] {
        &self.files
    }

    /// How many numbers the checkpoint holds, from the headers alone.
    pub fn parameter_count(&self) -> Result<usize> {
        self.files.iter().map(|f| parameter_count(f)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_names_its_shards_and_a_missing_one_is_named() {
        let index = br#"{"metadata": {}, "weight_map": {"a": "model-00002-of-00002.safetensors",
            "b": "model-00001-of-00002.safetensors", "c": "model-00001-of-00002.safetensors"}}"#;
        assert_eq!(
            shard_names(index).expect("reads"),
            [
                "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors"
            ]
        );
        let one: &[u8] = b"x";
        let err = Checkpoint::sharded(index, &[("model-00001-of-00002.safetensors", one)])
            .err()
            .expect("refused");
        assert_eq!(
            err,
            Error::MissingShard("model-00002-of-00002.safetensors".into())
        );
        assert!(err.to_string().contains("model-00002-of-00002.safetensors"));
        for bad in [
            &b"{}"[..],
            b"{\"weight_map\": {}}",
            b"{\"weight_map\": {\"a\": \"../x.safetensors\"}}",
            b"\xff",
        ] {
            assert!(shard_names(bad).is_err());
        }
    }
}
