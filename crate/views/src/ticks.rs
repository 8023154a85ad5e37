//! Where tick marks go: index axes (dimensions, positions) step by powers of two, value axes
//! by 1-2-5 steps, so the labels are numbers a person would have written by hand.

/// The smallest power-of-two step between index ticks that leaves at least `min_gap_px`
/// between labels when `len` indices share `pixels`. Hidden sizes (384, 768) and position
/// counts (512, 1024) are multiples of 64, so their ticks land on round numbers.
pub(crate) fn index_step(len: usize, pixels: f64, min_gap_px: f64) -> usize {
    let per_index = pixels / len.max(1) as f64;
    let mut step = 1usize;
    while (step as f64) * per_index < min_gap_px && step < len {
        step *= 2;
    }
    step
}

/// Round values covering `lo..=hi`, about `target` of them, at a 1, 2 or 5 × 10ⁿ step.
pub(crate) fn value_ticks(lo: f32, hi: f32, target: usize) -> Vec<f32> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let rough = (hi - lo) as f64 / target.max(1) as f64;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= rough)
        .unwrap_or(10.0 * magnitude);
    let first = (lo as f64 / step).ceil() as i64;
    let last = (hi as f64 / step).floor() as i64;
    (first..=last).map(|i| (i as f64 * step) as f32).collect()
}

/// How many decimals the labels of ticks `step` apart need to tell them apart.
pub(crate) fn decimals_for(ticks: &[f32]) -> usize {
    match ticks {
        [a, b, ..] => {
            let step = (b - a).abs() as f64;
            if step <= 0.0 {
                2
            } else {
                (-step.log10().floor()).clamp(0.0, 4.0) as usize
            }
        }
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_steps_are_powers_of_two_that_leave_room() {
        assert_eq!(index_step(384, 768.0, 40.0), 32);
        assert_eq!(index_step(384, 384.0, 40.0), 64);
        assert_eq!(index_step(10, 1000.0, 40.0), 1);
    }

    #[test]
    fn value_ticks_are_round() {
        assert_eq!(value_ticks(0.0, 1.0, 5), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(value_ticks(-0.5, 0.5, 2), [-0.5, 0.0, 0.5]);
        assert!(value_ticks(1.0, 1.0, 5).is_empty());
        assert_eq!(decimals_for(&[0.0, 0.2]), 1);
        assert_eq!(decimals_for(&[0.0, 0.05]), 2);
        assert_eq!(decimals_for(&[0.0, 10.0]), 0);
    }
}
