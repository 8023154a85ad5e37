//! Weight matrices kept in f32, or in f16 for models too big to hold in f32 (widened a block
//! of rows at a time while multiplying), behind one interface the layers use.

use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};
use ndarray::{linalg::general_mat_mul, s, Array1, Array2, ArrayView2, ArrayViewMut2};
use serde::Serialize;

use crate::gemm::{PackedMatrix, PACK_WEIGHTS};

/// How a model keeps its large weight matrices in memory. Vectors (biases, LayerNorm, small
/// tables) always stay f32: they are a tiny share of the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Precision {
    /// Every weight as f32: the exact numbers of the file.
    F32,
    /// Large matrices in 16 bits, half the memory; every product is still computed in f32.
    /// A BF16 checkpoint keeps its own BF16 numbers exactly; any other is rounded to f16
    /// (round to nearest even, as PyTorch's `.half()`).
    F16,
}

/// Which 16-bit format half-precision matrices are held in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HalfFormat {
    F16,
    /// bfloat16: what most modern checkpoints are stored in, kept as it is (no rounding).
    Bf16,
}

impl Precision {
    /// Above this many parameters (1 GiB of f32, and the file is in memory too while it
    /// loads) a page keeps a model in f16 so that it fits in wasm32's 4 GiB: gpt2-medium
    /// (355M) and larger are. gpt2 (124M), distilgpt2 (82M), bert-base (110M) and MiniLM
    /// (23M) stay exact: f16 moved attention by up to 0.019 on a gpt2-sized random model,
    /// beyond the 5e-3 the page promises.
    pub const F16_ABOVE_PARAMETERS: usize = 256_000_000;

    /// The precision a page should load a model of `parameters` numbers in.
    pub fn for_parameters(parameters: usize) -> Self {
        if parameters > Self::F16_ABOVE_PARAMETERS {
            Precision::F16
        } else {
            Precision::F32
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "F32",
            Precision::F16 => "F16",
        }
    }
}

/// Rows widened to f32 per step of an f16 product: 64 rows of 3072 are 768 KiB of scratch.
const BLOCK_ROWS: usize = 64;
/// Up to this many rows of `x` (a decoding step has one), half-precision products stream the
/// weights row by row instead of widening blocks for a matrix product.
const STREAM_ROWS: usize = 4;

/// Σ a_i · b_i over eight independent partial sums, so the loop compiles to SIMD.
fn dot(a: ndarray::ArrayView1<f32>, b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    match a.as_slice() {
        Some(a) => {
            let (chunks, rest) = a.as_chunks::<8>();
            let (b_chunks, b_rest) = b.as_chunks::<8>();
            for (x, y) in chunks.iter().zip(b_chunks) {
                for k in 0..8 {
                    lanes[k] += x[k] * y[k];
                }
            }
            lanes.iter().sum::<f32>() + rest.iter().zip(b_rest).map(|(x, y)| x * y).sum::<f32>()
        }
        None => a.iter().zip(b).map(|(x, y)| x * y).sum(),
    }
}

/// Vocabulary rows per block of [`rows_dot`]: 32 rows of 768 are 96 KiB, kept in cache while
/// every row of `x` is dotted with them. A multiple of 4, the rows [`dot_rows`] takes.
const HEAD_BLOCK_ROWS: usize = 32;

/// `x · mᵀ` for `x: (n, h)` and a row-major `m: (v, h)`, reading `m` once and never copying
/// it: blocks of `m`'s rows, each dotted with two rows of `x` at a time, four table rows per
/// step. In wasm this is the tied head's product: matrixmultiply packed all of `m` (GPT-2's
/// 154 MB embedding table) on every call, a one-token decoding step included. (n, v)
fn rows_dot(x: &ArrayView2<f32>, m: &ArrayView2<f32>) -> Array2<f32> {
    let (n, v) = (x.nrows(), m.nrows());
    let x = x.as_standard_layout();
    let m = m.as_standard_layout();
    let (Some(x_flat), Some(m_flat)) = (x.as_slice(), m.as_slice()) else {
        return Array2::zeros((n, v));
    };
    let h = m.ncols();
    let mut out = Array2::zeros((n, v));
    if h == 0 {
        return out;
    }
    let in_fours = v / 4 * 4;
    // Threads take consecutive blocks of table rows: disjoint columns of `out`.
    let blocks = in_fours.div_ceil(HEAD_BLOCK_ROWS);
    crate::parallel::split_ranges(
        0..blocks,
        crate::parallel::parts(blocks, n * h * v),
        out.slice_mut(s![.., ..in_fours]),
        &|part, at| part.split_at(ndarray::Axis(1), at * HEAD_BLOCK_ROWS),
        &|blocks, part| {
            let first = blocks.start * HEAD_BLOCK_ROWS;
            let last = (blocks.end * HEAD_BLOCK_ROWS).min(in_fours);
            rows_dot_into(x_flat, h, &m_flat[first * h..last * h], part);
        },
    );
    // The last one to three table rows.
    for col in in_fours..v {
        let weights = &m_flat[col * h..(col + 1) * h];
        for r in 0..n {
            let row = &x_flat[r * h..(r + 1) * h];
            out[[r, col]] = dot(ndarray::ArrayView1::from(row), weights);
        }
    }
    out
}

/// `out = x · tableᵀ` for `x` (n rows of `h`) and a table of `4k` rows of `h`, in blocks of
/// [`HEAD_BLOCK_ROWS`] table rows, two rows of `x` at a time. (n, 4k)
fn rows_dot_into(x_flat: &[f32], h: usize, table: &[f32], mut out: ArrayViewMut2<f32>) {
    let (n, count) = out.dim();
    let row = |r: usize| &x_flat[r * h..(r + 1) * h];
    for block_start in (0..count).step_by(HEAD_BLOCK_ROWS) {
        let block_end = (block_start + HEAD_BLOCK_ROWS).min(count);
        for first in (0..n).step_by(2) {
            for col in (block_start..block_end).step_by(4) {
                let four = &table[col * h..(col + 4) * h];
                if first + 1 < n {
                    let sums = dot_rows([row(first), row(first + 1)], four);
                    for (r, sums) in [first, first + 1].into_iter().zip(sums) {
                        for (j, sum) in sums.into_iter().enumerate() {
                            out[[r, col + j]] = sum;
                        }
                    }
                } else {
                    let [sums] = dot_rows([row(first)], four);
                    for (j, sum) in sums.into_iter().enumerate() {
                        out[[first, col + j]] = sum;
                    }
                }
            }
        }
    }
}

/// `ROWS` rows of `x` dotted with four consecutive table rows (`w`, `4 · h` numbers): in
/// wasm the hand-written SIMD kernel (when `h` is a multiple of 4, as every model's width
/// here is), elsewhere [`dot`]'s eight partial sums.
fn dot_rows<const ROWS: usize>(x: [&[f32]; ROWS], w: &[f32]) -> [[f32; 4]; ROWS] {
    let h = w.len() / 4;
    #[cfg(target_arch = "wasm32")]
    if h.is_multiple_of(4) {
        return crate::gemm_wasm::dot_rows(x, w);
    }
    x.map(|row| {
        let mut sums = [0.0f32; 4];
        for (j, sum) in sums.iter_mut().enumerate() {
            *sum = dot(ndarray::ArrayView1::from(row), &w[j * h..(j + 1) * h]);
        }
        sums
    })
}

/// A `(rows, cols)` matrix in the precision it was loaded with.
pub enum Matrix {
    F32(Array2<f32>),
    /// F32 in column panels, for the layers' products (`Matrix::for_products`).
    Packed(PackedMatrix),
    F16 {
        rows: usize,
        cols: usize,
        data: Vec<f16>, // (rows, cols) row-major
    },
    Bf16 {
        rows: usize,
        cols: usize,
        data: Vec<bf16>, // (rows, cols) row-major
    },
}

impl Matrix {
    pub fn new(values: Array2<f32>, precision: Precision) -> Self {
        Self::new_in(values, precision, HalfFormat::F16)
    }

    /// As `new`, holding half precision in `half`.
    pub fn new_in(values: Array2<f32>, precision: Precision, half: HalfFormat) -> Self {
        if precision == Precision::F32 {
            return Matrix::F32(values);
        }
        let (rows, cols) = values.dim();
        let values = values.as_standard_layout();
        let flat = values.as_slice().unwrap_or_default();
        match half {
            HalfFormat::F16 => {
                let mut data = vec![f16::ZERO; flat.len()];
                data.convert_from_f32_slice(flat);
                Matrix::F16 { rows, cols, data }
            }
            HalfFormat::Bf16 => {
                let mut data = vec![bf16::ZERO; flat.len()];
                data.convert_from_f32_slice(flat);
                Matrix::Bf16 { rows, cols, data }
            }
        }
    }

    /// Like `new`, for a matrix that is only ever multiplied (a layer's weight, never an
    /// embedding table): in F32 in wasm it is packed once into the panels the product kernel
    /// reads.
    pub fn for_products(values: Array2<f32>, precision: Precision, half: HalfFormat) -> Self {
        match precision {
            Precision::F32 if PACK_WEIGHTS => Matrix::Packed(PackedMatrix::pack(values.view())),
            _ => Matrix::new_in(values, precision, half),
        }
    }

    /// How the numbers are held: "F32", "F16" or "BF16".
    pub fn format_name(&self) -> &'static str {
        match self {
            Matrix::F32(_) | Matrix::Packed(_) => "F32",
            Matrix::F16 { .. } => "F16",
            Matrix::Bf16 { .. } => "BF16",
        }
    }

    pub fn nrows(&self) -> usize {
        match self {
            Matrix::F32(m) => m.nrows(),
            Matrix::Packed(m) => m.nrows(),
            Matrix::F16 { rows, .. } | Matrix::Bf16 { rows, .. } => *rows,
        }
    }

    pub fn ncols(&self) -> usize {
        match self {
            Matrix::F32(m) => m.ncols(),
            Matrix::Packed(m) => m.ncols(),
            Matrix::F16 { cols, .. } | Matrix::Bf16 { cols, .. } => *cols,
        }
    }

    /// Bytes this matrix occupies in memory.
    pub fn bytes(&self) -> u64 {
        match self {
            Matrix::F32(m) => (m.len() * 4) as u64,
            Matrix::Packed(m) => m.bytes(),
            Matrix::F16 { data, .. } => (data.len() * 2) as u64,
            Matrix::Bf16 { data, .. } => (data.len() * 2) as u64,
        }
    }

    /// One row as f32, or `None` past the end. (cols)
    pub fn row(&self, index: usize) -> Option<Array1<f32>> {
        if index >= self.nrows() {
            return None;
        }
        Some(match self {
            Matrix::F32(m) => m.row(index).to_owned(),
            Matrix::Packed(m) => Array1::from(m.row(index).unwrap_or_default()),
            Matrix::F16 { cols, .. } | Matrix::Bf16 { cols, .. } => self
                .widen(index, index + 1, *cols)
                .into_shape_with_order(*cols)
                .unwrap_or_default(),
        })
    }

    /// The rows at `indices`, which the caller has checked are in range. (n, cols)
    pub fn select_rows(&self, indices: &[usize]) -> Array2<f32> {
        let mut out = Array2::zeros((indices.len(), self.ncols()));
        for (mut target, &index) in out.rows_mut().into_iter().zip(indices) {
            if let Some(row) = self.row(index) {
                target.assign(&row);
            }
        }
        out
    }

    /// The whole matrix as f32 (a copy when stored as f16). (rows, cols)
    pub fn to_f32(&self) -> Array2<f32> {
        match self {
            Matrix::F32(m) => m.clone(),
            Matrix::Packed(m) => m.to_array(),
            Matrix::F16 { rows, cols, .. } | Matrix::Bf16 { rows, cols, .. } => {
                self.widen(0, *rows, *cols)
            }
        }
    }

    /// `x · self` for `x: (n, rows)`. (n, cols)
    pub fn left_mul(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        match self {
            Matrix::F32(m) => x.dot(m),
            Matrix::Packed(m) => m.left_mul(x),
            Matrix::F16 { rows, cols, .. } | Matrix::Bf16 { rows, cols, .. }
                if x.nrows() <= STREAM_ROWS =>
            {
                // A decoding step: each weight row widened once into a small buffer and added
                // in, no block copies or packing (a step reads every weight once anyway).
                let mut out = Array2::zeros((x.nrows(), *cols));
                let mut row = vec![0.0f32; *cols];
                for i in 0..*rows {
                    self.widen_row_into(i, &mut row);
                    for (r, mut target) in out.rows_mut().into_iter().enumerate() {
                        let a = x[[r, i]];
                        for (o, &w) in target.iter_mut().zip(&row) {
                            *o += a * w;
                        }
                    }
                }
                out
            }
            Matrix::F16 { rows, cols, .. } | Matrix::Bf16 { rows, cols, .. } => {
                let mut out = Array2::zeros((x.nrows(), *cols));
                for start in (0..*rows).step_by(BLOCK_ROWS) {
                    let end = (start + BLOCK_ROWS).min(*rows);
                    let block = self.widen(start, end, *cols); // (b, cols)
                    let x_part = x.slice(s![.., start..end]); // (n, b)
                    general_mat_mul(1.0, &x_part, &block, 1.0, &mut out);
                }
                out
            }
        }
    }

    /// `x · selfᵀ` for `x: (n, cols)`: the tied language-model head. (n, rows)
    pub fn mul_transposed(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        match self {
            Matrix::F32(m) if PACK_WEIGHTS => rows_dot(x, &m.view()),
            Matrix::F32(m) => x.dot(&m.t()),
            Matrix::Packed(m) => x.dot(&m.to_array().t()),
            Matrix::F16 { rows, cols, .. } | Matrix::Bf16 { rows, cols, .. }
                if x.nrows() <= STREAM_ROWS =>
            {
                // The next-token head at a decoding step: one dot product per vocabulary row.
                let mut out = Array2::zeros((x.nrows(), *rows));
                let mut row = vec![0.0f32; *cols];
                for v in 0..*rows {
                    self.widen_row_into(v, &mut row);
                    for r in 0..x.nrows() {
                        out[[r, v]] = dot(x.row(r), &row);
                    }
                }
                out
            }
            Matrix::F16 { rows, cols, .. } | Matrix::Bf16 { rows, cols, .. } => {
                let mut out = Array2::zeros((x.nrows(), *rows));
                for start in (0..*rows).step_by(BLOCK_ROWS) {
                    let end = (start + BLOCK_ROWS).min(*rows);
                    let block = self.widen(start, end, *cols); // (b, cols)
                    let mut target: ArrayViewMut2<f32> = out.slice_mut(s![.., start..end]); // (n, b)
                    general_mat_mul(1.0, x, &block.t(), 0.0, &mut target);
                }
                out
            }
        }
    }

    /// Row `index` of a half-precision matrix, widened into `out` (cols long).
    fn widen_row_into(&self, index: usize, out: &mut [f32]) {
        let cols = out.len();
        match self {
            Matrix::F16 { data, .. } => {
                data[index * cols..(index + 1) * cols].convert_to_f32_slice(out)
            }
            Matrix::Bf16 { data, .. } => {
                data[index * cols..(index + 1) * cols].convert_to_f32_slice(out)
            }
            _ => out.fill(0.0),
        }
    }

    /// Rows `start..end` of a half-precision matrix as f32. (end − start, cols)
    fn widen(&self, start: usize, end: usize, cols: usize) -> Array2<f32> {
        let mut out = vec![0.0f32; (end - start) * cols];
        match self {
            Matrix::F16 { data, .. } => {
                data[start * cols..end * cols].convert_to_f32_slice(&mut out)
            }
            Matrix::Bf16 { data, .. } => {
                data[start * cols..end * cols].convert_to_f32_slice(&mut out)
            }
            _ => return Array2::zeros((0, cols)),
        }
        Array2::from_shape_vec((end - start, cols), out).unwrap_or_else(|_| Array2::zeros((0, 0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array;

    fn sample(rows: usize, cols: usize) -> Array2<f32> {
        Array::from_shape_fn((rows, cols), |(r, c)| {
            ((r * 31 + c * 7) % 23) as f32 / 8.0 - 1.3
        })
    }

    #[test]
    fn f16_products_equal_f32_products_of_the_rounded_values() {
        // 150 rows: two full blocks and a partial one.
        let values = sample(150, 40);
        let rounded = values.mapv(|v| f16::from_f32(v).to_f32());
        let half = Matrix::new(values, Precision::F16);
        let exact = Matrix::new(rounded.clone(), Precision::F32);
        assert_eq!(half.bytes() * 2, exact.bytes());
        let x = sample(5, 150);
        let diff = (&half.left_mul(&x.view()) - &exact.left_mul(&x.view()))
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(diff < 1e-4, "left_mul differs by {diff}");
        let y = sample(5, 40);
        let diff = (&half.mul_transposed(&y.view()) - &exact.mul_transposed(&y.view()))
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(diff < 1e-4, "mul_transposed differs by {diff}");
        assert_eq!(half.to_f32(), rounded);
        assert_eq!(half.select_rows(&[149, 0]).row(0), rounded.row(149));
        assert!(half.row(150).is_none());
    }

    /// A decoding step (one to four rows) streams the weights row by row; it must give the
    /// blocked product's numbers, in f16 and in bf16.
    #[test]
    fn streamed_half_products_equal_f32_products_of_the_rounded_values() {
        let values = sample(150, 40);
        for half in [HalfFormat::F16, HalfFormat::Bf16] {
            let matrix = Matrix::new_in(values.clone(), Precision::F16, half);
            let exact = Matrix::new(matrix.to_f32(), Precision::F32);
            for rows in [1, 3, 4] {
                let x = sample(rows, 150);
                let diff = (&matrix.left_mul(&x.view()) - &exact.left_mul(&x.view()))
                    .iter()
                    .fold(0.0f32, |m, v| m.max(v.abs()));
                assert!(
                    diff < 1e-4,
                    "{half:?} left_mul of {rows} rows differs by {diff}"
                );
                let y = sample(rows, 40);
                let diff = (&matrix.mul_transposed(&y.view()) - &exact.mul_transposed(&y.view()))
                    .iter()
                    .fold(0.0f32, |m, v| m.max(v.abs()));
                assert!(
                    diff < 1e-4,
                    "{half:?} mul_transposed of {rows} rows differs by {diff}"
                );
            }
        }
    }

    /// The tied head splits its table rows across a pool's threads: the same bits as alone.
    #[cfg(feature = "threads")]
    #[test]
    fn rows_dot_in_a_pool_of_threads_gives_the_same_bits() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a native pool");
        for (n, v) in [(1, 4099), (3, 301)] {
            let m = sample(v, 512);
            let x = sample(n, 512).mapv(|a| a * 0.5 - 0.1);
            let alone = rows_dot(&x.view(), &m.view());
            let shared = pool.install(|| {
                assert!(crate::parallel::parts(v / 32, n * 512 * v) > 1);
                rows_dot(&x.view(), &m.view())
            });
            assert_eq!(shared, alone, "n {n}, v {v}");
        }
    }

    #[test]
    fn rows_dot_equals_the_transposed_product() {
        // Odd and even counts of x's rows (taken in pairs); table rows around the block and
        // not a multiple of four; depths with a remainder after the eight lanes.
        for n in [1, 3, 4, 6, 9] {
            for (v, h) in [(1, 8), (31, 19), (33, 40), (70, 8), (300, 12)] {
                let m = sample(v, h);
                let x = sample(n, h).mapv(|a| a * 0.5 - 0.1);
                let want = x.dot(&m.t());
                let got = rows_dot(&x.view(), &m.view());
                let diff = (&got - &want).iter().fold(0.0f32, |d, e| d.max(e.abs()));
                assert!(diff < 1e-5, "n {n}, v {v}, h {h}: {diff}");
            }
        }
        assert_eq!(
            rows_dot(&sample(2, 0).view(), &sample(3, 0).view()).dim(),
            (2, 3)
        );
    }

    #[test]
    fn precision_follows_the_parameter_count() {
        assert_eq!(Precision::for_parameters(22_700_000), Precision::F32);
        assert_eq!(Precision::for_parameters(124_439_808), Precision::F32);
        assert_eq!(Precision::for_parameters(354_823_168), Precision::F16);
    }
}
