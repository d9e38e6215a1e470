//! Geometry and number formatting for the view, kept apart so it is tested natively.

use raftlab_raft::{Micros, NodeId};

const CENTER: f64 = 50.0;
/// Radius of a node's circle in the 100x100 picture.
pub const NODE_R: f64 = 7.0;

/// Node positions in the 100x100 picture for clusters of 1 to 9 (node i at angle
/// -90° + i·360°/n on a circle of radius 34), precomputed so the page needs no trigonometry.
const POSITIONS: [&[(f64, f64)]; 9] = [
    &[(50.000, 50.000)],
    &[(50.000, 16.000), (50.000, 84.000)],
    &[(50.000, 16.000), (79.445, 67.000), (20.555, 67.000)],
    &[
        (50.000, 16.000),
        (84.000, 50.000),
        (50.000, 84.000),
        (16.000, 50.000),
    ],
    &[
        (50.000, 16.000),
        (82.336, 39.493),
        (69.985, 77.507),
        (30.015, 77.507),
        (17.664, 39.493),
    ],
    &[
        (50.000, 16.000),
        (79.445, 33.000),
        (79.445, 67.000),
        (50.000, 84.000),
        (20.555, 67.000),
        (20.555, 33.000),
    ],
    &[
        (50.000, 16.000),
        (76.582, 28.801),
        (83.148, 57.566),
        (64.752, 80.633),
        (35.248, 80.633),
        (16.852, 57.566),
        (23.418, 28.801),
    ],
    &[
        (50.000, 16.000),
        (74.042, 25.958),
        (84.000, 50.000),
        (74.042, 74.042),
        (50.000, 84.000),
        (25.958, 74.042),
        (16.000, 50.000),
        (25.958, 25.958),
    ],
    &[
        (50.000, 16.000),
        (71.855, 23.954),
        (83.483, 44.096),
        (79.445, 67.000),
        (61.629, 81.950),
        (38.371, 81.950),
        (20.555, 67.000),
        (16.517, 44.096),
        (28.145, 23.954),
    ],
];

/// Where node `id` of `n` sits in the 100x100 picture.
pub fn position(id: NodeId, n: usize) -> (f64, f64) {
    POSITIONS
        .get(n.wrapping_sub(1))
        .and_then(|row| row.get((id as usize).wrapping_sub(1)))
        .copied()
        .unwrap_or((CENTER, CENTER))
}

/// `value` scaled by 10^`places`, written as a decimal ("12345", 1 → "1234.5"), without the
/// float formatting machinery (it costs kilobytes of wasm).
pub fn dec(value: i64, places: u32) -> String {
    let scale = 10i64.pow(places);
    let sign = if value < 0 { "-" } else { "" };
    let v = value.unsigned_abs();
    let (whole, frac) = (v / scale as u64, v % scale as u64);
    if places == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac:0width$}", width = places as usize)
    }
}

/// `x` limited to `lo..=hi`, as `f64::clamp`, but without its panic (when `lo > hi`, `lo`
/// wins), whose message formats floats with `{:?}`: that alone linked about 12 KB of float
/// formatting into the wasm. NaN stays NaN, as with `f64::clamp`.
pub fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// Simulated microseconds as milliseconds with one decimal.
pub fn ms1(us: Micros) -> String {
    dec((us / 100) as i64, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_on_the_circle_in_order() {
        for n in 2..=9usize {
            for id in 1..=n as NodeId {
                let a = -std::f64::consts::FRAC_PI_2
                    + (id as f64 - 1.0) * std::f64::consts::TAU / n as f64;
                let (x, y) = position(id, n);
                assert!((x - (50.0 + 34.0 * a.cos())).abs() < 0.01, "n {n} id {id}");
                assert!((y - (50.0 + 34.0 * a.sin())).abs() < 0.01, "n {n} id {id}");
            }
        }
        assert_eq!(position(1, 1), (50.0, 50.0));
        assert_eq!(position(0, 5), (50.0, 50.0));
        assert_eq!(position(6, 5), (50.0, 50.0));
    }

    #[test]
    fn decimals_without_floats() {
        assert_eq!(dec(12345, 1), "1234.5");
        assert_eq!(dec(5, 3), "0.005");
        assert_eq!(dec(-250, 2), "-2.50");
        assert_eq!(dec(7, 0), "7");
        assert_eq!(ms1(1_234_567), "1234.5");
    }

    #[test]
    fn clamp_as_the_standard_one() {
        for x in [-1.5, 0.0, 0.25, 1.0, 7.0, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(clamp(x, 0.0, 1.0), x.clamp(0.0, 1.0), "{x}");
        }
        assert!(clamp(f64::NAN, 0.0, 1.0).is_nan());
        // No panic when the range is empty (a canvas narrower than its margins).
        assert_eq!(clamp(5.0, 10.0, 0.0), 10.0);
    }
}
