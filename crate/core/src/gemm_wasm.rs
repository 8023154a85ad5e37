//! The product kernel's inner tile written in WebAssembly SIMD by hand: each of `x`'s numbers
//! is broadcast straight from memory (`v128.load32_splat`, a load, where LLVM's own code
//! shuffled a loaded vector), and with the `relaxed-simd` feature each step is one fused
//! multiply-add (`f32x4.relaxed_madd`) instead of a multiply and an add.
//!
//! Pointer loads are `unsafe` in `core::arch::wasm32`; this file is the project's one place
//! that uses them, each after the slice lengths that make it sound are asserted.
#![allow(unsafe_code)]

use core::arch::wasm32::{f32x4_splat, v128, v128_load, v128_load32_splat};

/// Columns of a weight panel and rows of an interleaved tile of `x`: the layout `gemm.rs`
/// packs (it checks at compile time that its own constants are these).
pub const PANEL: usize = 8;
pub const TILE_ROWS: usize = 4;

/// The `ROWS` × 8 block of `x · panel` for the first `ROWS` rows of one tile of `x`
/// (interleaved `(depth, 4)`) and one panel (`(depth, 8)`); each entry sums its products in
/// order of depth.
#[inline(always)]
pub fn tile_product<const ROWS: usize>(a: &[f32], panel: &[f32]) -> [[f32; PANEL]; ROWS] {
    // Only the relaxed-simd worker build has this feature, and worker-loader.js starts it
    // only where WebAssembly.validate accepts a relaxed-SIMD module.
    #[cfg(feature = "relaxed-simd")]
    return tile_fused::<ROWS>(a, panel);
    #[cfg(not(feature = "relaxed-simd"))]
    tile_simd128::<ROWS>(a, panel)
}

/// Writes a tile's accumulators out as plain numbers.
#[inline(always)]
fn to_rows<const ROWS: usize>(low: [v128; ROWS], high: [v128; ROWS]) -> [[f32; PANEL]; ROWS] {
    let mut out = [[0.0f32; PANEL]; ROWS];
    for (row, (low, high)) in out.iter_mut().zip(low.iter().zip(&high)) {
        let low: [f32; 4] = lanes(*low);
        let high: [f32; 4] = lanes(*high);
        row[..4].copy_from_slice(&low);
        row[4..].copy_from_slice(&high);
    }
    out
}

#[inline(always)]
fn lanes(v: v128) -> [f32; 4] {
    use core::arch::wasm32::f32x4_extract_lane as lane;
    [lane::<0>(v), lane::<1>(v), lane::<2>(v), lane::<3>(v)]
}

/// Checks the lengths every load below relies on: `depth` steps of 4 numbers of `x` and 8
/// of the panel.
#[inline(always)]
fn depth_of(a: &[f32], panel: &[f32]) -> usize {
    let depth = panel.len() / PANEL;
    assert!(a.len() >= depth * TILE_ROWS && panel.len() == depth * PANEL);
    depth
}

/// A multiply and an add: the step of the plain SIMD build, in `f32x4.relaxed_madd`'s
/// argument order (`x · b + acc`).
#[cfg(not(feature = "relaxed-simd"))]
#[inline(always)]
fn mul_add(x: v128, b: v128, acc: v128) -> v128 {
    use core::arch::wasm32::{f32x4_add, f32x4_mul};
    f32x4_add(acc, f32x4_mul(x, b))
}

#[cfg(feature = "relaxed-simd")]
use core::arch::wasm32::f32x4_relaxed_madd;

/// Defines a tile kernel whose step is `$madd(x, b, acc)`. Written once, compiled as the
/// plain build's (a multiply and an add) or the relaxed build's (one fused multiply-add:
/// its rounding differs in the last bit of a step; the golden tests hold both to the same
/// tolerances). The fused one needs `#[target_feature]`, which a closure would not inherit,
/// hence a macro rather than a function taking the step.
macro_rules! tile_kernel {
    ($(#[$attr:meta])* $name:ident, $madd:ident) => {
        $(#[$attr])*
        fn $name<const ROWS: usize>(a: &[f32], panel: &[f32]) -> [[f32; PANEL]; ROWS] {
            let depth = depth_of(a, panel);
            let mut low = [f32x4_splat(0.0); ROWS];
            let mut high = [f32x4_splat(0.0); ROWS];
            let (a, b) = (a.as_ptr(), panel.as_ptr());
            for k in 0..depth {
                // SAFETY: k < depth, and depth_of asserted 4·depth numbers of a and 8·depth
                // of b; v128.load has no alignment requirement.
                let (b_low, b_high) = unsafe {
                    (
                        v128_load(b.add(k * PANEL).cast()),
                        v128_load(b.add(k * PANEL + 4).cast()),
                    )
                };
                for row in 0..ROWS {
                    // SAFETY: row < ROWS ≤ TILE_ROWS, inside the numbers asserted above.
                    let x = unsafe { v128_load32_splat(a.add(k * TILE_ROWS + row).cast()) };
                    low[row] = $madd(x, b_low, low[row]);
                    high[row] = $madd(x, b_high, high[row]);
                }
            }
            to_rows(low, high)
        }
    };
}

tile_kernel!(
    #[cfg(not(feature = "relaxed-simd"))]
    #[inline(always)]
    tile_simd128,
    mul_add
);
tile_kernel!(
    #[cfg(feature = "relaxed-simd")]
    #[target_feature(enable = "relaxed-simd")]
    tile_fused,
    f32x4_relaxed_madd
);

/// Dot products of `ROWS` rows of `x` with four rows of a table (`w`, each `x.len()` long,
/// the table's rows one after another): 4-lane partial sums, a multiply-add per lane and
/// step (fused in the relaxed build), then each row's four lanes added. The tied head's
/// kernel: the table is read in place, row by row, never copied.
#[inline(always)]
pub fn dot_rows<const ROWS: usize>(x: [&[f32]; ROWS], w: &[f32]) -> [[f32; 4]; ROWS] {
    #[cfg(feature = "relaxed-simd")]
    return dot_rows_fused::<ROWS>(x, w);
    #[cfg(not(feature = "relaxed-simd"))]
    dot_rows_simd128::<ROWS>(x, w)
}

/// Checks the lengths the loads of [`dot_rows`] rely on; the depth in whole 4-lane steps.
#[inline(always)]
fn dot_steps<const ROWS: usize>(x: &[&[f32]; ROWS], w: &[f32]) -> usize {
    let depth = w.len() / 4;
    assert!(w.len() == depth * 4 && x.iter().all(|row| row.len() == depth));
    assert!(
        depth.is_multiple_of(4),
        "dot_rows needs a depth that is a multiple of 4"
    );
    depth / 4
}

/// Adds each accumulator's four lanes: the rows' dot products with the four table rows.
#[inline(always)]
fn lane_sums<const ROWS: usize>(acc: [[v128; 4]; ROWS]) -> [[f32; 4]; ROWS] {
    acc.map(|row| row.map(|v| lanes(v).iter().sum()))
}

/// Defines a row-dot kernel whose step is `$madd(x, table, acc)` (see [`tile_kernel`]).
macro_rules! dot_kernel {
    ($(#[$attr:meta])* $name:ident, $madd:ident) => {
        $(#[$attr])*
        fn $name<const ROWS: usize>(x: [&[f32]; ROWS], w: &[f32]) -> [[f32; 4]; ROWS] {
            let steps = dot_steps(&x, w);
            let depth = steps * 4;
            let mut acc = [[f32x4_splat(0.0); 4]; ROWS];
            let w = w.as_ptr();
            let x = x.map(<[f32]>::as_ptr);
            for k in 0..steps {
                // SAFETY: k·4 + 3 < depth; every row of x is depth long and w is 4·depth
                // (dot_steps asserted both); v128.load has no alignment requirement.
                let table = unsafe {
                    [0, 1, 2, 3].map(|row| v128_load(w.add(row * depth + k * 4).cast::<v128>()))
                };
                for (acc, x) in acc.iter_mut().zip(&x) {
                    // SAFETY: as above.
                    let x = unsafe { v128_load(x.add(k * 4).cast::<v128>()) };
                    for (sum, table) in acc.iter_mut().zip(&table) {
                        *sum = $madd(x, *table, *sum);
                    }
                }
            }
            lane_sums(acc)
        }
    };
}

dot_kernel!(
    #[cfg(not(feature = "relaxed-simd"))]
    #[inline(always)]
    dot_rows_simd128,
    mul_add
);
dot_kernel!(
    #[cfg(feature = "relaxed-simd")]
    #[target_feature(enable = "relaxed-simd")]
    dot_rows_fused,
    f32x4_relaxed_madd
);
