//! Human-readable values in settings: byte sizes (`"64MB"`) and number lists that also come
//! as one comma-separated environment variable (`"320,640,1080"`).

use serde::Deserialize;

/// Parses `"64MB"`, `"512 KiB"`, `"1GB"` or a bare number of bytes. `KB`/`MB`/`GB` are read as
/// binary multiples (1024), like most operators expect of memory sizes; `kB` is 1000.
pub(crate) fn parse_bytes(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{raw}` is not a size like \"64MB\""))?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "kB" => 1000,
        "KB" | "KiB" | "K" => 1024,
        "MB" | "MiB" | "M" => 1024 * 1024,
        "GB" | "GiB" | "G" => 1024 * 1024 * 1024,
        other => return Err(format!("unknown unit `{other}` (use B, KB, MB or GB)")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{raw}` is too large"))
}

/// Deserialises a byte size from a string (`"64MB"`) or an integer (bytes).
pub(crate) fn byte_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Number(n) => Ok(n),
        Raw::Text(text) => parse_bytes(&text).map_err(serde::de::Error::custom),
    }
}

/// Accepts a TOML list of integers or, from the environment, `"320,640"`.
pub(crate) fn u32_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<u32>),
        Joined(String),
    }
    match Raw::deserialize(d)? {
        Raw::List(list) => Ok(list),
        Raw::Joined(joined) => joined
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u32>()
                    .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a whole number")))
            })
            .collect(),
    }
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes_parse_with_and_without_units() {
        for (raw, bytes) in [
            ("0", 0),
            ("512", 512),
            ("64MB", 64 << 20),
            ("64 MiB", 64 << 20),
            ("16M", 16 << 20),
            ("1GB", 1 << 30),
            ("10kB", 10_000),
            ("10KB", 10_240),
        ] {
            assert_eq!(parse_bytes(raw), Ok(bytes), "{raw}");
        }
        for bad in ["", "MB", "-1MB", "1.5MB", "12 parsecs", "99999999999999GB"] {
            assert!(parse_bytes(bad).is_err(), "{bad} should be refused");
        }
    }
}
