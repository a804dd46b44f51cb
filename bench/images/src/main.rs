//! igfeed's image-format bench (issue #16): which format, at which quality and speed, matches
//! today's JPEG q82 in DSSIM for the fewest bytes, at each size igfeed serves.
//!
//! `prepare OUT NAME=PATH…` turns sample photos into Instagram-shaped originals;
//! `measure PHOTOS [--json FILE] [--quick] [--avif-q 85,88] [--avif-speeds 8] [--webp-q …]
//! [--webp-methods …]` prints the Markdown tables (an empty list leaves a format out);
//! `sheet OUT.png PHOTOS` draws a contact sheet to check by eye what the set holds.
//! `bench/images/run` drives it all.

mod measure;
mod prepare;
mod report;

use std::path::PathBuf;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("prepare") if args.len() >= 3 => {
            let out = PathBuf::from(&args[1]);
            let sources = args[2..]
                .iter()
                .map(|pair| {
                    let (name, path) = pair
                        .split_once('=')
                        .with_context(|| format!("{pair}: expected NAME=PATH"))?;
                    Ok((name.to_owned(), PathBuf::from(path)))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            prepare::run(&out, &sources)
        }
        Some("measure") if args.len() >= 2 => {
            let mut json = None;
            let mut grid = measure::Grid::full();
            let mut rest = args[2..].iter();
            while let Some(arg) = rest.next() {
                let mut list = || -> anyhow::Result<Vec<u8>> {
                    let value = rest.next().with_context(|| format!("{arg} LIST"))?;
                    value
                        .split(',')
                        .filter(|v| !v.is_empty())
                        .map(|v| v.parse().with_context(|| format!("{arg} {value}")))
                        .collect()
                };
                match arg.as_str() {
                    "--json" => json = Some(PathBuf::from(rest.next().context("--json FILE")?)),
                    "--quick" => grid = measure::Grid::quick(),
                    "--avif-q" => grid.avif_q = list()?,
                    "--avif-speeds" => grid.avif_speeds = list()?,
                    "--webp-q" => grid.webp_q = list()?,
                    "--webp-methods" => grid.webp_methods = list()?,
                    other => bail!("unknown option {other}"),
                }
            }
            let samples = measure::run(&PathBuf::from(&args[1]), &grid)?;
            if let Some(path) = json {
                let lines: Vec<String> = samples.iter().map(measure::Sample::to_json).collect();
                std::fs::write(&path, lines.join("\n") + "\n")
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            print!("{}", report::markdown(&samples));
            Ok(())
        }
        Some("sheet") if args.len() == 3 => {
            prepare::sheet(&PathBuf::from(&args[1]), &PathBuf::from(&args[2]))
        }
        _ => bail!(
            "usage: igfeed-image-bench prepare OUT_DIR NAME=PATH… | measure PHOTOS_DIR [--json FILE] [--quick] [--avif-q|--avif-speeds|--webp-q|--webp-methods LIST] | sheet OUT.png PHOTOS_DIR"
        ),
    }
}
