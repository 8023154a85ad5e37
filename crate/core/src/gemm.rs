//! Matrix products for the forward pass with the right-hand matrix packed into column panels,
//! weights once at load, so a product streams each weight once instead of repacking it on
//! every call (which was 40 % of a short sentence's trace), in tiles sized for WebAssembly.

use ndarray::linalg::general_mat_mul;
use std::ops::Range;

use ndarray::{s, Array2, ArrayView2, ArrayViewMut2, Axis};

use crate::parallel;

/// Whether layers keep their weights packed for [`PackedMatrix`]: in WebAssembly, where it
/// is 3× faster than matrixmultiply's 8 × 8 wasm kernel. Natively matrixmultiply picks AVX2
/// and FMA at run time, which this portable kernel (SSE2 on x86-64) cannot match: a native
/// 128-token trace took 221 ms with it against 102 ms without.
pub const PACK_WEIGHTS: bool = cfg!(target_arch = "wasm32");

/// Which product kernel this build multiplies with, for the page to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// WebAssembly SIMD with relaxed SIMD's fused multiply-add (the worker's second build).
    RelaxedSimd,
    /// WebAssembly SIMD: a multiply and an add per step.
    Simd128,
    /// Outside the browser: matrixmultiply, which picks the CPU's own SIMD at run time.
    Native,
}

impl Kernel {
    /// The kernel compiled into this build.
    pub const fn current() -> Self {
        if cfg!(not(target_arch = "wasm32")) {
            Kernel::Native
        } else if cfg!(feature = "relaxed-simd") {
            Kernel::RelaxedSimd
        } else {
            Kernel::Simd128
        }
    }

    /// A stable name, as the worker reports it: "relaxed-simd", "simd128" or "native".
    pub fn name(self) -> &'static str {
        match self {
            Kernel::RelaxedSimd => "relaxed-simd",
            Kernel::Simd128 => "simd128",
            Kernel::Native => "native",
        }
    }
}

/// `out = scale · (x · w)` for `x: (n, k)`, `w: (k, m)`, `out: (n, m)`, with whichever
/// kernel is faster on this target (see [`PACK_WEIGHTS`]); `w` is packed on the spot.
pub fn product_into(
    x: &ArrayView2<f32>,
    w: ArrayView2<f32>,
    scale: f32,
    mut out: ArrayViewMut2<f32>,
) {
    if PACK_WEIGHTS {
        PackedMatrix::pack(w).left_mul_into(x, scale, out);
    } else {
        general_mat_mul(scale, x, &w, 0.0, &mut out);
    }
}

/// Columns in a panel: two 4-lane SIMD vectors.
const PANEL: usize = 8;
/// Rows of `x` per tile. 4 × 8 accumulators are 8 SIMD registers plus 3 for the operands,
/// inside the 16 that x86's WebAssembly engines map them to; matrixmultiply's 8 × 8 wasm tile
/// needs 16 accumulators alone and spills.
const TILE_ROWS: usize = 4;
/// Rows of `x` interleaved at a time: 64 rows of 1,536 are 384 KiB, about one L2 cache.
const BLOCK_ROWS: usize = 64;

/// A `(rows, cols)` matrix kept as `⌈cols / 8⌉` panels, each `rows × 8` row-major, so that
/// one step of a product reads 8 consecutive numbers. Columns past `cols` are zero.
#[derive(Debug, Clone)]
pub struct PackedMatrix {
    rows: usize,
    cols: usize,
    panels: Vec<f32>, // (⌈cols/8⌉, rows, 8)
}

/// Where entry `(row, col)` of a matrix with `rows` rows lives in its panels.
fn panel_offset(rows: usize, row: usize, col: usize) -> usize {
    ((col / PANEL) * rows + row) * PANEL + col % PANEL
}

impl PackedMatrix {
    pub fn pack(values: ArrayView2<f32>) -> Self {
        let (rows, cols) = values.dim();
        let count = cols.div_ceil(PANEL);
        let mut panels = vec![0.0f32; count * rows * PANEL];
        for ((row, col), value) in values.indexed_iter() {
            panels[panel_offset(rows, row, col)] = *value;
        }
        PackedMatrix { rows, cols, panels }
    }

    fn get(&self, row: usize, col: usize) -> f32 {
        self.panels[panel_offset(self.rows, row, col)]
    }

    pub fn nrows(&self) -> usize {
        self.rows
    }

    pub fn ncols(&self) -> usize {
        self.cols
    }

    /// Bytes held, padding included.
    pub fn bytes(&self) -> u64 {
        (self.panels.len() * 4) as u64
    }

    /// One row, or `None` past the end. (cols)
    pub fn row(&self, row: usize) -> Option<Vec<f32>> {
        (row < self.rows).then(|| (0..self.cols).map(|col| self.get(row, col)).collect())
    }

    /// The matrix in ordinary row-major form. (rows, cols)
    pub fn to_array(&self) -> Array2<f32> {
        Array2::from_shape_fn((self.rows, self.cols), |(row, col)| self.get(row, col))
    }

    /// `x · self` for `x: (n, rows)`. (n, cols)
    pub fn left_mul(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        let mut out = Array2::zeros((x.nrows(), self.cols));
        self.left_mul_into(x, 1.0, out.view_mut());
        out
    }

    /// `out = scale · (x · self)` for `x: (n, rows)` and `out: (n, cols)`, any strides. Each
    /// entry sums its products in order of `k`, as a plain dot product does.
    pub fn left_mul_into(&self, x: &ArrayView2<f32>, scale: f32, mut out: ArrayViewMut2<f32>) {
        let (n, depth) = x.dim();
        assert_eq!(
            depth, self.rows,
            "x has {depth} columns for {} rows",
            self.rows
        );
        assert_eq!(out.dim(), (n, self.cols), "output shape");
        if n == 0 || self.cols == 0 {
            return;
        }
        if depth == 0 {
            out.fill(0.0);
            return;
        }
        // Rows of x interleaved by tile: (tiles, depth, TILE_ROWS), missing rows zero.
        let mut tiles_of_x = vec![0.0f32; BLOCK_ROWS.div_ceil(TILE_ROWS) * TILE_ROWS * depth];
        for block_start in (0..n).step_by(BLOCK_ROWS) {
            let block_end = (block_start + BLOCK_ROWS).min(n);
            let tiles = (block_end - block_start).div_ceil(TILE_ROWS);
            for (tile, dst) in tiles_of_x
                .chunks_exact_mut(depth * TILE_ROWS)
                .take(tiles)
                .enumerate()
            {
                for lane in 0..TILE_ROWS {
                    let row = block_start + tile * TILE_ROWS + lane;
                    if row < block_end {
                        for (k, &v) in x.row(row).iter().enumerate() {
                            dst[k * TILE_ROWS + lane] = v;
                        }
                    } else {
                        for k in 0..depth {
                            dst[k * TILE_ROWS + lane] = 0.0;
                        }
                    }
                }
            }
            let rows = block_end - block_start;
            let panel_count = self.cols.div_ceil(PANEL);
            let tiles_of_x = &tiles_of_x[..tiles * depth * TILE_ROWS];
            // Threads take consecutive panels: disjoint columns of `out`, each entry's sum
            // in the same order as on one thread.
            parallel::split_ranges(
                0..panel_count,
                parallel::parts(panel_count, rows * depth * self.cols),
                out.slice_mut(s![block_start..block_end, ..]),
                &|part, at| part.split_at(Axis(1), at * PANEL),
                &|panels, part| self.panels_into(tiles_of_x, panels, scale, part),
            );
        }
    }

    /// `out = scale · (x · these panels)` for one block of `x`'s rows, packed as tiles, and
    /// `out` the block's rows and the panels' columns.
    fn panels_into(
        &self,
        tiles_of_x: &[f32],
        panels: Range<usize>,
        scale: f32,
        mut out: ArrayViewMut2<f32>,
    ) {
        let (rows, cols) = out.dim();
        let depth = self.rows;
        for (offset, panel_index) in panels.enumerate() {
            let panel =
                &self.panels[panel_index * depth * PANEL..(panel_index + 1) * depth * PANEL];
            let first_col = offset * PANEL;
            let width = PANEL.min(cols - first_col);
            for (tile, a) in tiles_of_x.chunks_exact(depth * TILE_ROWS).enumerate() {
                let first_row = tile * TILE_ROWS;
                let mut write = |sums: &[[f32; PANEL]]| {
                    for (lane, sums) in sums.iter().enumerate() {
                        let row = first_row + lane;
                        if row >= rows {
                            break;
                        }
                        let mut target = out.row_mut(row);
                        for (j, &sum) in sums.iter().take(width).enumerate() {
                            target[first_col + j] = scale * sum;
                        }
                    }
                };
                // A last tile of one or two rows skips the padding rows' work (a 10-token
                // sentence is 4 + 4 + 2 rows).
                match rows - first_row {
                    1 => write(&tile_kernel::<1>(a, panel)),
                    2 => write(&tile_kernel::<2>(a, panel)),
                    _ => write(&tile_kernel::<TILE_ROWS>(a, panel)),
                }
            }
        }
    }
}

/// The tile kernel: written in WebAssembly SIMD in wasm (`gemm_wasm`), portable elsewhere.
#[cfg(target_arch = "wasm32")]
use crate::gemm_wasm::tile_product as tile_kernel;
// The wasm kernel reads the panels and tiles this file packs.
#[cfg(target_arch = "wasm32")]
const _: () = assert!(crate::gemm_wasm::PANEL == PANEL && crate::gemm_wasm::TILE_ROWS == TILE_ROWS);
#[cfg(not(target_arch = "wasm32"))]
use tile_product as tile_kernel;

/// The `ROWS` × 8 block of `x · panel` for the first `ROWS` rows of one tile of `x`
/// (interleaved `(depth, 4)`) and one panel (`(depth, 8)`). Plain loops over fixed-size
/// arrays, which LLVM turns into SIMD with the accumulators in registers.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
#[inline(always)]
fn tile_product<const ROWS: usize>(a: &[f32], panel: &[f32]) -> [[f32; PANEL]; ROWS] {
    let mut acc = [[0.0f32; PANEL]; ROWS];
    let (a, _) = a.as_chunks::<TILE_ROWS>();
    let (b, _) = panel.as_chunks::<PANEL>();
    for (a, b) in a.iter().zip(b) {
        for (acc_row, &a_value) in acc.iter_mut().zip(a) {
            for (sum, &b_value) in acc_row.iter_mut().zip(b) {
                *sum += a_value * b_value;
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array};

    fn sample(rows: usize, cols: usize, seed: usize) -> Array2<f32> {
        Array::from_shape_fn((rows, cols), |(r, c)| {
            ((r * 31 + c * 7 + seed * 13) % 23) as f32 / 8.0 - 1.3
        })
    }

    fn largest_difference(a: &Array2<f32>, b: &Array2<f32>) -> f32 {
        assert_eq!(a.dim(), b.dim());
        a.iter()
            .zip(b)
            .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()))
    }

    #[test]
    fn products_equal_ndarray_for_every_edge_of_tiles_and_panels() {
        // Rows around the tile (4) and block (64) sizes, columns around the panel (8).
        for &n in &[1, 3, 4, 5, 63, 64, 65, 130] {
            for &(depth, cols) in &[(1, 1), (7, 8), (16, 9), (33, 15), (40, 64)] {
                let w = sample(depth, cols, 1);
                let x = sample(n, depth, 2);
                let packed = PackedMatrix::pack(w.view());
                let diff = largest_difference(&packed.left_mul(&x.view()), &x.dot(&w));
                assert!(diff < 1e-5, "n {n}, depth {depth}, cols {cols}: {diff}");
            }
        }
    }

    #[test]
    fn strided_operands_and_outputs_and_scale() {
        let w = sample(12, 20, 3);
        let x = sample(9, 30, 4);
        let x_part = x.slice(s![.., 5..17]); // columns with a stride of 30
        let packed = PackedMatrix::pack(w.t().t()); // through a view
        let mut out = Array2::from_elem((9, 40), 7.0f32);
        packed.left_mul_into(&x_part, 0.5, out.slice_mut(s![.., 10..30]));
        let want = x_part.dot(&w) * 0.5;
        let got = out.slice(s![.., 10..30]).to_owned();
        assert!(largest_difference(&got, &want) < 1e-5);
        // Columns outside the target are left as they were.
        assert!(out.slice(s![.., ..10]).iter().all(|&v| v == 7.0));
        assert!(out.slice(s![.., 30..]).iter().all(|&v| v == 7.0));
        // A transposed operand packs the same as its copy.
        let t = PackedMatrix::pack(x.t());
        assert_eq!(t.to_array(), x.t().to_owned());
        assert_eq!(t.row(3), Some(x.column(3).to_vec()));
        assert_eq!(t.row(30), None);
    }

    #[test]
    fn empty_shapes() {
        let packed = PackedMatrix::pack(sample(0, 5, 0).view());
        assert_eq!(
            packed.left_mul(&sample(3, 0, 0).view()),
            Array2::<f32>::zeros((3, 5))
        );
        let packed = PackedMatrix::pack(sample(4, 5, 0).view());
        assert_eq!(packed.left_mul(&sample(0, 4, 0).view()).dim(), (0, 5));
    }

    /// The threads build splits products across a pool; every entry must come out the same,
    /// bit for bit, as on one thread.
    #[cfg(feature = "threads")]
    #[test]
    fn a_pool_of_threads_computes_the_same_bits() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a native pool");
        for &(n, depth, cols) in &[(1, 384, 1536), (10, 384, 384), (70, 96, 100), (130, 64, 67)] {
            assert!(
                n * depth * cols >= crate::parallel::MIN_SPLIT_WORK,
                "splits"
            );
            let packed = PackedMatrix::pack(sample(depth, cols, 5).view());
            let x = sample(n, depth, 6);
            let alone = packed.left_mul(&x.view());
            let mut shared = Array2::from_elem((n, cols + 3), 9.0f32);
            pool.install(|| {
                assert!(crate::parallel::parts(cols.div_ceil(8), n * depth * cols) > 1);
                packed.left_mul_into(&x.view(), 1.0, shared.slice_mut(s![.., 2..cols + 2]));
            });
            assert_eq!(
                shared.slice(s![.., 2..cols + 2]),
                alone,
                "{n}×{depth}×{cols}"
            );
            assert!(shared.column(0).iter().all(|&v| v == 9.0));
            assert!(shared.column(cols + 2).iter().all(|&v| v == 9.0));
        }
    }
}
