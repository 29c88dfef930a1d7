//! Dense vector maths shared by the models and the index: dot products the compiler can vectorise.

/// Dot products with eight independent accumulators, so the compiler can vectorise them (a single
/// running float sum must be added in order and cannot be).
macro_rules! multi_accumulator_dot {
    ($(#[$doc:meta])* $name:ident, $t:ty) => {
        $(#[$doc])*
        #[inline]
        pub fn $name(a: &[$t], b: &[$t]) -> $t {
            let n = a.len().min(b.len());
            let (a, b) = (&a[..n], &b[..n]);
            let mut acc = [0.0 as $t; 8];
            let chunks = n / 8 * 8;
            for (x, y) in a[..chunks].chunks_exact(8).zip(b[..chunks].chunks_exact(8)) {
                for l in 0..8 {
                    acc[l] += x[l] * y[l];
                }
            }
            let mut tail = 0.0;
            for (x, y) in a[chunks..].iter().zip(&b[chunks..]) {
                tail += x * y;
            }
            acc.iter().sum::<$t>() + tail
        }
    };
}

multi_accumulator_dot!(
    /// `a · b` in `f64`.
    dot64,
    f64
);
multi_accumulator_dot!(
    /// `a · b` in `f32` (the served score, and the solver's Gram products).
    dot32,
    f32
);

/// `a · b`: the served score of a brand–creator pair.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot32(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accumulated_dot_equals_the_plain_sum_at_every_length() {
        for n in [0usize, 1, 7, 8, 9, 31, 66] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
            assert!((f64::from(dot(&a, &b)) - plain).abs() < 1e-5, "n = {n}");
            let (a64, b64): (Vec<f64>, Vec<f64>) =
                (a.iter().map(|&x| x.into()).collect(), b.iter().map(|&x| x.into()).collect());
            assert!((dot64(&a64, &b64) - plain).abs() < 1e-9, "n = {n}");
        }
    }
}
