//! Re-encodes a checkpoint's float tensors as F16 or F32 for the web bundle, keeping every
//! name and shape so `transformers` still loads the result.

use std::collections::HashMap;

use half::f16;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use crate::error::{Error, Result};
use crate::tensors::{decode, describe};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleDtype {
    F16,
    F32,
}

impl BundleDtype {
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "f16" | "float16" => Some(BundleDtype::F16),
            "f32" | "float32" => Some(BundleDtype::F32),
            _ => None,
        }
    }
}

/// Returns new safetensors bytes with every F32/F16/BF16 tensor stored as `dtype`; other
/// tensors (integer buffers some checkpoints carry) are copied unchanged.
pub fn convert_safetensors(bytes: &[u8], dtype: BundleDtype) -> Result<Vec<u8>> {
    convert_shards(&[bytes], dtype)
}

/// As `convert_safetensors`, for the files of a sharded checkpoint: one file comes out, with
/// every tensor of every shard.
pub fn convert_shards(files: &[&[u8]], dtype: BundleDtype) -> Result<Vec<u8>> {
    let shards = files
        .iter()
        .map(|b| SafeTensors::deserialize(b).map_err(|e| Error::Safetensors(describe(&e))))
        .collect::<Result<Vec<_>>>()?;
    let mut names: Vec<(String, usize)> = shards
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.names().into_iter().map(move |n| (n.to_string(), i)))
        .collect();
    names.sort();
    if let Some(pair) = names.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::Safetensors(format!(
            "tensor \"{}\" is in two shards",
            pair[0].0
        )));
    }
    let mut converted: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::with_capacity(names.len());
    for (name, shard) in names {
        let view = shards[shard]
            .tensor(&name)
            .map_err(|e| Error::Safetensors(describe(&e)))?;
        let shape = view.shape().to_vec();
        let (out_dtype, data) = match view.dtype() {
            Dtype::F32 | Dtype::F16 | Dtype::BF16 => {
                let values = decode(&name, view.dtype(), view.data())?;
                match dtype {
                    BundleDtype::F32 => (
                        Dtype::F32,
                        values.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    ),
                    BundleDtype::F16 => {
                        if let Some(big) = values.iter().find(|v| v.abs() > f16::MAX.to_f32()) {
                            return Err(Error::Io(format!(
                                "tensor \"{name}\" holds {big}, beyond the F16 range; convert with --dtype f32"
                            )));
                        }
                        (
                            Dtype::F16,
                            values
                                .iter()
                                .flat_map(|&v| f16::from_f32(v).to_le_bytes())
                                .collect(),
                        )
                    }
                }
            }
            other => (other, view.data().to_vec()),
        };
        converted.push((name, out_dtype, shape, data));
    }
    let views = converted
        .iter()
        .map(|(name, dt, shape, data)| {
            TensorView::new(*dt, shape.clone(), data)
                .map(|v| (name.clone(), v))
                .map_err(|e| Error::Safetensors(describe(&e)))
        })
        .collect::<Result<Vec<_>>>()?;
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize(views, Some(metadata)).map_err(|e| Error::Safetensors(describe(&e)))
}
