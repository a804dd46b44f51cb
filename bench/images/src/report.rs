//! The Markdown tables: one per size with every setting, then per format the lowest quality
//! that is no worse than JPEG q82.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::measure::{Format, JPEG_QUALITY, SIZES, Sample};

/// Share of photos on which a setting must be at least as good as JPEG for the second column.
const MOST: f64 = 0.9;

/// One setting at one size, summed over the photos.
struct Row {
    format: Format,
    quality: u8,
    photos: usize,
    bytes: usize,
    jpeg_bytes: usize,
    median_ratio: f64,
    median_dssim: f64,
    max_dssim: f64,
    /// Share of photos whose DSSIM is at most JPEG q82's on the same photo.
    as_good: f64,
    median_ms: f64,
    max_ms: f64,
}

impl Row {
    fn sum_ratio(&self) -> f64 {
        self.bytes as f64 / self.jpeg_bytes as f64
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn rows(samples: &[Sample], size: u32) -> Vec<Row> {
    let at_size: Vec<&Sample> = samples.iter().filter(|s| s.size == size).collect();
    let jpeg: HashMap<&str, &Sample> = at_size
        .iter()
        .filter(|s| s.format == Format::Jpeg && s.quality == JPEG_QUALITY)
        .map(|s| (s.photo.as_str(), *s))
        .collect();
    let mut groups: BTreeMap<(Format, u8), Vec<&Sample>> = BTreeMap::new();
    for sample in &at_size {
        groups
            .entry((sample.format, sample.quality))
            .or_default()
            .push(sample);
    }
    groups
        .into_iter()
        .map(|((format, quality), group)| {
            let base = |s: &Sample| jpeg[s.photo.as_str()];
            Row {
                format,
                quality,
                photos: group.len(),
                bytes: group.iter().map(|s| s.bytes).sum(),
                jpeg_bytes: group.iter().map(|s| base(s).bytes).sum(),
                median_ratio: median(
                    group
                        .iter()
                        .map(|s| s.bytes as f64 / base(s).bytes as f64)
                        .collect(),
                ),
                median_dssim: median(group.iter().map(|s| s.dssim).collect()),
                max_dssim: group.iter().map(|s| s.dssim).fold(0.0, f64::max),
                as_good: group.iter().filter(|s| s.dssim <= base(s).dssim).count() as f64
                    / group.len() as f64,
                median_ms: median(group.iter().map(|s| s.encode_ms).collect()),
                max_ms: group.iter().map(|s| s.encode_ms).fold(0.0, f64::max),
            }
        })
        .collect()
}

/// The lowest quality of `format` from which every higher quality measured also passes `ok`
/// (DSSIM is not strictly monotonic in quality; a lone lucky low setting is not a choice).
fn lowest(rows: &[Row], format: Format, ok: impl Fn(&Row) -> bool) -> Option<&Row> {
    let mut of_format: Vec<&Row> = rows.iter().filter(|r| r.format == format).collect();
    of_format.sort_by_key(|r| r.quality);
    let first_fail_from_top = of_format.iter().rposition(|r| !ok(r));
    match first_fail_from_top {
        None => of_format.first().copied(),
        Some(i) => of_format.get(i + 1).copied(),
    }
}

pub fn markdown(samples: &[Sample]) -> String {
    let mut out = String::new();
    for size in SIZES {
        let rows = rows(samples, size);
        let Some(jpeg) = rows
            .iter()
            .find(|r| r.format == Format::Jpeg && r.quality == JPEG_QUALITY)
        else {
            continue;
        };
        let _ = writeln!(
            out,
            "\n### {size} px ({} photos; JPEG q{JPEG_QUALITY}: {} B in all, median DSSIM {:.5})\n",
            jpeg.photos, jpeg.bytes, jpeg.median_dssim
        );
        out.push_str(
            "| format | q | bytes (sum) | vs JPEG (sum) | vs JPEG (median) | DSSIM median | DSSIM max | ≤ JPEG on | CPU ms median | CPU ms max |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for r in &rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.2} | {:.2} | {:.5} | {:.5} | {:.0} % | {:.1} | {:.1} |",
                r.format.label(),
                r.quality,
                r.bytes,
                r.sum_ratio(),
                r.median_ratio,
                r.median_dssim,
                r.max_dssim,
                r.as_good * 100.0,
                r.median_ms,
                r.max_ms
            );
        }
        let _ = writeln!(
            out,
            "\nLowest quality no worse than JPEG q{JPEG_QUALITY} at {size} px (and every higher one measured):\n"
        );
        out.push_str(
            "| format | by median DSSIM: q | bytes vs JPEG (sum / median) | CPU ms | by ≥ 90 % of photos: q | bytes vs JPEG (sum / median) | CPU ms |\n\
             |---|---:|---:|---:|---:|---:|---:|\n",
        );
        let mut formats: Vec<Format> = rows.iter().map(|r| r.format).collect();
        formats.dedup();
        for format in formats.into_iter().filter(|f| *f != Format::Jpeg) {
            let cell = |row: Option<&Row>| match row {
                Some(r) => format!(
                    "{} | {:.2} / {:.2} | {:.1}",
                    r.quality,
                    r.sum_ratio(),
                    r.median_ratio,
                    r.median_ms
                ),
                None => "none | — | —".to_owned(),
            };
            let by_median = lowest(&rows, format, |r| r.median_dssim <= jpeg.median_dssim);
            let by_most = lowest(&rows, format, |r| r.as_good >= MOST);
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                format.label(),
                cell(by_median),
                cell(by_most)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(quality: u8, as_good: f64) -> Row {
        Row {
            format: Format::Avif { speed: 8 },
            quality,
            photos: 1,
            bytes: 1,
            jpeg_bytes: 1,
            median_ratio: 1.0,
            median_dssim: 0.0,
            max_dssim: 0.0,
            as_good,
            median_ms: 0.0,
            max_ms: 0.0,
        }
    }

    #[test]
    fn the_lowest_passing_quality_ignores_a_lucky_low_one() {
        let rows = [row(50, 1.0), row(60, 0.5), row(70, 0.95), row(80, 1.0)];
        let format = Format::Avif { speed: 8 };
        let found = lowest(&rows, format, |r| r.as_good >= MOST).map(|r| r.quality);
        assert_eq!(found, Some(70));
        let none = lowest(&rows[..2], format, |r| r.as_good > 1.0);
        assert!(none.is_none());
        assert_eq!(median(vec![3.0, 1.0, 2.0, 10.0]), 2.5);
    }
}
