//! A multivariate outlier score for price flags: how isolated an offer is among all judged
//! offers of the batch in the space of (modified z-score of its log price within its product
//! group, size of its seller in the batch), by the mean distance to its k nearest neighbours
//! (linfa-nn k-d tree), relative to the usual such distance. A fake priced like no one else,
//! by a seller like no other, stands apart; a clearance among many clearances does not.
//!
//! It does not raise flags by itself: it is evidence on the price flag (`knn_isolation`) and a
//! feature the learnt weights may use ([`crate::model`]).

use linfa_nn::{distance::L2Dist, CommonNearestNeighbour, NearestNeighbour};
use ndarray::Array2;

/// Neighbours the distance is averaged over.
pub const K: usize = 5;
/// Points whose kNN distance sets the usual distance (an even sample of the batch).
const BASELINE_SAMPLE: usize = 1000;

/// For each query (a row of `points`), the mean distance to its `K` nearest other rows over the
/// median of that mean for a sample of all rows. `None` with too few points to say. Columns
/// are standardised first, so each feature weighs alike.
pub fn isolation(points: &[[f64; 2]], queries: &[usize]) -> Option<Vec<f64>> {
    let n = points.len();
    if n <= K * 2 {
        return None;
    }
    let mut x = Array2::zeros((n, 2));
    for j in 0..2 {
        let mean = points.iter().map(|p| p[j]).sum::<f64>() / n as f64;
        let var = points.iter().map(|p| (p[j] - mean).powi(2)).sum::<f64>() / n as f64;
        let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
        for (i, p) in points.iter().enumerate() {
            x[[i, j]] = (p[j] - mean) / sd;
        }
    }
    let index = CommonNearestNeighbour::KdTree.from_batch(&x, L2Dist).ok()?;
    let mean_distance = |i: usize| -> Option<f64> {
        let row = x.row(i);
        let near = index.k_nearest(row, K + 1).ok()?;
        // The point itself comes back first, at distance 0.
        let d: Vec<f64> = near
            .iter()
            .skip(1)
            .map(|(p, _)| {
                p.iter()
                    .zip(row.iter())
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect();
        Some(d.iter().sum::<f64>() / d.len().max(1) as f64)
    };
    let step = (n / BASELINE_SAMPLE).max(1);
    let mut baseline: Vec<f64> = (0..n).step_by(step).filter_map(mean_distance).collect();
    baseline.sort_by(f64::total_cmp);
    let usual = baseline.get(baseline.len() / 2).copied().unwrap_or(0.0);
    Some(
        queries
            .iter()
            .map(|&q| {
                let d = mean_distance(q).unwrap_or(0.0);
                // Many offers at one point (identical prices) make the usual distance 0.
                d / usual.max(1e-3)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_point_is_more_isolated_than_one_in_the_crowd() {
        let mut points: Vec<[f64; 2]> = (0..200)
            .map(|i| [(i % 20) as f64 * 0.1, (i / 20) as f64 * 0.1])
            .collect();
        points.push([-6.0, 0.5]);
        let iso = isolation(&points, &[55, 200]).unwrap();
        assert!(iso[0] < 2.0, "{iso:?}");
        assert!(iso[1] > 10.0, "{iso:?}");
        assert!(isolation(&points[..5], &[0]).is_none());
    }
}
