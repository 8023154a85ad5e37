//! Comparisons the page draws: cosine similarity of vectors and of whole token sets.

use ndarray::{Array2, ArrayView1, ArrayView2};

/// The seed article's toy 4-d embeddings (cat, dog, car, banana), as the article gives them.
pub const TOY_VECTORS: [(&str, [f32; 4]); 4] = [
    ("cat", [0.5, 0.3, -0.1, 0.9]),
    ("dog", [0.6, 0.4, -0.2, 0.8]),
    ("car", [0.5, 0.3, -0.1, 0.9]),
    ("banana", [0.1, -0.8, 0.2, 0.4]),
];

/// cos θ = a·b / (|a||b|), accumulated in f64. A zero vector has no direction, so its
/// similarity to anything is reported as 0 rather than NaN.
pub fn cosine(a: ArrayView1<f32>, b: ArrayView1<f32>) -> f32 {
    let (mut dot, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b.iter()) {
        let (x, y) = (x as f64, y as f64);
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return 0.0;
    }
    (dot / (aa.sqrt() * bb.sqrt())).clamp(-1.0, 1.0) as f32
}

/// Cosine similarity of every row of `a` with every row of `b`. (rows_a, rows_b)
pub fn cosine_matrix(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    Array2::from_shape_fn((a.nrows(), b.nrows()), |(i, j)| cosine(a.row(i), b.row(j)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr1;

    fn toy(name: &str) -> ndarray::Array1<f32> {
        let (_, v) = TOY_VECTORS
            .iter()
            .find(|(n, _)| *n == name)
            .copied()
            .unwrap_or(("", [0.0; 4]));
        arr1(&v)
    }

    /// The article prints 0.9832 and 0.1511. (The seed README's "0.9833" is a slip: the
    /// exact value is 1.16 / √(1.16 · 1.2) = 0.983192…, which rounds to 0.9832.)
    #[test]
    fn seed_toy_vectors_give_the_seed_numbers() {
        let cat_dog = cosine(toy("cat").view(), toy("dog").view());
        let car_banana = cosine(toy("car").view(), toy("banana").view());
        let exact = 1.16f64 / (1.16f64 * 1.2).sqrt();
        assert!(
            (cat_dog as f64 - exact).abs() < 1e-6,
            "cos(cat, dog) = {cat_dog}"
        );
        assert!((cat_dog - 0.9832).abs() < 5e-5, "cos(cat, dog) = {cat_dog}");
        assert!(
            (car_banana - 0.1511).abs() < 5e-5,
            "cos(car, banana) = {car_banana}"
        );
    }

    #[test]
    fn cosine_of_zero_vector_is_zero_and_matrix_is_symmetric() {
        let z = arr1(&[0.0f32, 0.0]);
        let v = arr1(&[1.0f32, 2.0]);
        assert_eq!(cosine(z.view(), v.view()), 0.0);
        let m = ndarray::arr2(&[[1.0f32, 0.0], [1.0, 1.0], [-2.0, 0.5]]);
        let c = cosine_matrix(m.view(), m.view());
        for i in 0..3 {
            assert!((c[[i, i]] - 1.0).abs() < 1e-6);
            for j in 0..3 {
                assert_eq!(c[[i, j]], c[[j, i]]);
            }
        }
    }
}
