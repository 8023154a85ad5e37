//! Reads named tensors out of safetensors bytes as f32 ndarray arrays, checking each shape.

use half::{bf16, f16};
use ndarray::{Array1, Array2};
use safetensors::{Dtype, SafeTensors};

use crate::error::{Error, Result};
use crate::weights::{HalfFormat, Matrix, Precision};

/// A parsed checkpoint (one file, or the shards of a sharded one) plus the name prefix its
/// keys carry (`""`, `"bert."`, `"transformer."`, `"model."`).
pub struct TensorStore<'a> {
    shards: Vec<SafeTensors<'a>>,
    prefix: String,
    /// How large matrices are kept once read (see `weight`).
    precision: Precision,
    /// The 16-bit format half precision uses: BF16 when the checkpoint is BF16, so its
    /// numbers stay exactly as stored.
    half: HalfFormat,
}

impl<'a> TensorStore<'a> {
    /// Parses the safetensors header. `probe` is a key every checkpoint of the architecture
    /// has; the first of `prefixes` under which it exists becomes the prefix for all lookups,
    /// so checkpoints saved with and without a wrapper model both load.
    pub fn parse(
        bytes: &'a [u8],
        probe: &str,
        prefixes: &[&str],
        precision: Precision,
    ) -> Result<Self> {
        Self::parse_shards(&[bytes], probe, prefixes, precision)
    }

    /// As `parse`, for a checkpoint split over several files (each a safetensors file).
    pub fn parse_shards(
        files: &[&'a [u8]],
        probe: &str,
        prefixes: &[&str],
        precision: Precision,
    ) -> Result<Self> {
        let shards = files
            .iter()
            .map(|bytes| {
                SafeTensors::deserialize(bytes).map_err(|e| Error::Safetensors(describe(&e)))
            })
            .collect::<Result<Vec<_>>>()?;
        let prefix = prefixes
            .iter()
            .find(|p| {
                let name = format!("{p}{probe}");
                shards.iter().any(|s| s.tensor(&name).is_ok())
            })
            .map(|p| p.to_string())
            .ok_or_else(|| Error::MissingTensor(probe.to_string()))?;
        let bf16 = shards
            .iter()
            .flat_map(|s| s.tensors())
            .filter(|(_, v)| matches!(v.dtype(), Dtype::F32 | Dtype::F16 | Dtype::BF16))
            .all(|(_, v)| v.dtype() == Dtype::BF16);
        Ok(TensorStore {
            shards,
            prefix,
            precision,
            half: if bf16 {
                HalfFormat::Bf16
            } else {
                HalfFormat::F16
            },
        })
    }

    fn raw(&self, name: &str, expected: &[usize]) -> Result<Vec<f32>> {
        self.raw_at_root(&format!("{}{name}", self.prefix), expected)
    }

    /// The tensor named `full` in whichever shard holds it, ignoring the prefix.
    fn raw_at_root(&self, full: &str, expected: &[usize]) -> Result<Vec<f32>> {
        let full = full.to_string();
        let view = self
            .shards
            .iter()
            .find_map(|shard| shard.tensor(&full).ok())
            .ok_or_else(|| Error::MissingTensor(full.clone()))?;
        if view.shape() != expected {
            return Err(Error::ShapeMismatch {
                name: full,
                expected: expected.to_vec(),
                found: view.shape().to_vec(),
            });
        }
        decode(&full, view.dtype(), view.data())
    }

    /// A vector of length `len`.
    pub fn vector(&self, name: &str, len: usize) -> Result<Array1<f32>> {
        Ok(Array1::from(self.raw(name, &[len])?))
    }

    /// A matrix stored row-major as `[rows, cols]`.
    pub fn matrix(&self, name: &str, rows: usize, cols: usize) -> Result<Array2<f32>> {
        let data = self.raw(name, &[rows, cols])?;
        Array2::from_shape_vec((rows, cols), data)
            .map_err(|e| Error::Safetensors(format!("{name}: {e}")))
    }

    /// A large matrix named without the store's prefix (`lm_head.weight` beside `model.`).
    pub fn root_weight(&self, full: &str, rows: usize, cols: usize) -> Result<Matrix> {
        let data = self.raw_at_root(full, &[rows, cols])?;
        let values = Array2::from_shape_vec((rows, cols), data)
            .map_err(|e| Error::Safetensors(format!("{full}: {e}")))?;
        Ok(Matrix::new_in(values, self.precision, self.half))
    }

    /// A large matrix `[rows, cols]` (an embedding table), kept in the store's precision.
    pub fn weight(&self, name: &str, rows: usize, cols: usize) -> Result<Matrix> {
        Ok(Matrix::new_in(
            self.matrix(name, rows, cols)?,
            self.precision,
            self.half,
        ))
    }

    /// An already read (e.g. transposed) layer weight, kept in the store's precision as the
    /// product kernel reads it.
    pub fn layer_weight(&self, values: Array2<f32>) -> Matrix {
        Matrix::for_products(values, self.precision, self.half)
    }
}

/// How many numbers a checkpoint holds, read from its header alone (for choosing a
/// `Precision` before loading).
pub fn parameter_count(bytes: &[u8]) -> Result<usize> {
    let tensors = SafeTensors::deserialize(bytes).map_err(|e| Error::Safetensors(describe(&e)))?;
    Ok(tensors
        .tensors()
        .iter()
        .map(|(_, view)| view.shape().iter().product::<usize>())
        .sum())
}

/// Turns little-endian tensor bytes into f32, whatever float dtype they were stored in.
pub fn decode(name: &str, dtype: Dtype, data: &[u8]) -> Result<Vec<f32>> {
    let values = match dtype {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        other => {
            return Err(Error::UnsupportedDtype {
                name: name.to_string(),
                dtype: format!("{other:?}"),
            })
        }
    };
    Ok(values)
}

/// safetensors' own messages are terse; say what they mean for a user holding the file.
pub fn describe(err: &safetensors::SafeTensorError) -> String {
    use safetensors::SafeTensorError as E;
    match err {
        E::HeaderTooSmall | E::HeaderTooLarge | E::InvalidHeaderLength => {
            format!("not a safetensors file or its header is damaged ({err})")
        }
        E::MetadataIncompleteBuffer => {
            "the file is truncated: its header promises more bytes than it holds".into()
        }
        _ => format!("cannot be read: {err}"),
    }
}
