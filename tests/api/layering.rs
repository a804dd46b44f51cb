//! The Instagram sandbox is a crate of its own so that the service cannot come to rely on it:
//! only the commands that run it (`igfeed sandbox`, `igfeed demo`) and main.rs may name it.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_commands_use_the_sandbox_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "found only {} files in src/", files.len());
    let offenders: Vec<_> = files
        .iter()
        .filter(|path| !path.starts_with(src.join("commands")) && **path != src.join("main.rs"))
        .filter(|path| {
            std::fs::read_to_string(path)
                .expect("readable source file")
                .contains("igfeed_sandbox")
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "service modules must not depend on the sandbox: {offenders:?}"
    );
}
