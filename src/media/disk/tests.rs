//! The disk cache: atomic files, budget with least-recently-used eviction, reopening.

use super::*;

fn file(n: usize) -> Vec<u8> {
    let rendition = crate::media::Rendition {
        source_tag: "s".into(),
        version: "v".into(),
        width: 10,
        height: 10,
        sizes: vec![320],
        color: None,
        variants: vec![crate::media::rendition::Encoded {
            format: crate::media::encode::Format::Jpeg,
            width: 10,
            height: 10,
            bytes: Bytes::from(vec![7u8; n]),
        }],
    };
    rendition.to_file()
}

#[test]
fn the_budget_holds_and_the_least_recently_used_goes_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cache, _) = DiskCache::open(dir.path().join("media"), 3_000);
    for key in ["a", "b", "c"] {
        cache.write(key, &file(700)).expect("written");
    }
    assert!(cache.read("a").is_some(), "touch a: b is now the oldest");
    cache.write("d", &file(700)).expect("written");
    assert!(cache.total() <= 3_000, "{} bytes", cache.total());
    assert!(cache.read("b").is_none(), "b was evicted");
    for key in ["a", "c", "d"] {
        assert!(cache.read(key).is_some(), "{key} kept");
    }
    cache
        .write("huge", &file(5_000))
        .expect("skipped, not an error");
    assert!(cache.read("huge").is_none());
    let names: Vec<String> = fs::read_dir(dir.path().join("media"))
        .expect("listing")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n.ends_with(".img")),
        "no temp files left: {names:?}"
    );
}

#[test]
fn reopening_indexes_files_and_drops_damaged_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let media = dir.path().join("media");
    {
        let (cache, _) = DiskCache::open(media.clone(), 1 << 20);
        cache.write("p1_0", &file(100)).expect("written");
        cache.write("profile", &file(100)).expect("written");
    }
    fs::write(media.join("broken.img"), b"junk").expect("write");
    fs::write(media.join(".p2_0.tmp-0000"), b"half").expect("write");
    let (cache, headers) = DiskCache::open(media.clone(), 1 << 20);
    let mut keys: Vec<String> = headers.into_iter().map(|(k, _)| k).collect();
    keys.sort();
    assert_eq!(keys, ["p1_0", "profile"]);
    assert!(!media.join("broken.img").exists());
    assert!(!media.join(".p2_0.tmp-0000").exists());
    assert_eq!(cache.retain(|k| k == "profile"), 1);
    assert!(cache.read("p1_0").is_none());
    cache.clear();
    assert_eq!(cache.total(), 0);
    assert!(cache.read("profile").is_none());
}

#[test]
fn keys_never_leave_the_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cache, _) = DiskCache::open(dir.path().join("media"), 1 << 20);
    for key in ["../x", "a/b", "", "A", ".hidden"] {
        cache.write(key, b"x").expect("refused quietly");
        assert!(cache.read(key).is_none(), "{key}");
    }
    assert_eq!(cache.total(), 0);
}
