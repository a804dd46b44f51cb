//! The layer rule of the README's architecture section, checked against the code.
//!
//! The README's "Layers" table lists igfeed's top-level modules from the top (the binary's
//! commands) to the bottom (leaves such as the clock). Non-test code may use modules of its own
//! layer or below, never above, and no group of modules may use each other in a circle: that is
//! what keeps each new feature's place obvious. This test reads `src/` (and the workspace
//! crates, which count as the module named after them) and fails naming file and line.
//!
//! It reads paths, not types: `crate::feed::…`, `use crate::{feed, media}`, `super::` chains
//! that climb to the crate root, and `igfeed_<crate>::…` for the workspace's other crates.
//! Comments, strings and `#[cfg(test)]` items (and the files they declare) are ignored, since
//! tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What a path names: a top-level module of its own crate (`crate::feed`), or another crate of
/// the workspace (`igfeed_sandbox::…`, counted as the module `sandbox`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Used {
    Module(String),
    Crate(String),
}

impl Used {
    fn name(&self) -> &str {
        match self {
            Used::Module(name) | Used::Crate(name) => name,
        }
    }
}

/// One use of another top-level module: where, and which.
#[derive(Debug, Clone)]
struct Reference {
    file: String,
    line: usize,
    from: String,
    to: String,
}

#[test]
fn top_level_modules_depend_one_way_down_the_readme_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = read(&root.join("README.md"));
    let layers = layers_from_readme(&readme);
    assert!(
        !layers.is_empty(),
        "README.md has no Layers table (rows like `| 3 | `feed`, `media` | … |`)"
    );
    let references = references_in(&root.join("src"), root);

    let mut problems = Vec::new();
    let modules: BTreeSet<String> = module_names(&root.join("src"));
    for module in &modules {
        if !layers.contains_key(module) {
            problems.push(format!(
                "src/{module}: a top-level module missing from README.md's Layers table"
            ));
        }
    }
    for reference in &references {
        if !layers.contains_key(&reference.to) {
            problems.push(format!(
                "{}:{}: `{}` uses `{}`, which README.md's Layers table does not list",
                reference.file, reference.line, reference.from, reference.to
            ));
        }
    }
    for reference in &references {
        if let (Some(from), Some(to)) = (layers.get(&reference.from), layers.get(&reference.to))
            && to > from
        {
            problems.push(format!(
                "{}:{}: `{}` (layer {from}) uses `{}` (layer {to}), a layer above it",
                reference.file, reference.line, reference.from, reference.to
            ));
        }
    }
    let graph = graph_of(&references);
    let cycles = cycles_in(&graph);
    for cycle in &cycles {
        problems.push(describe_cycle(cycle, &graph));
    }

    println!("{}", summary(&graph, &layers, &cycles));
    assert!(
        problems.is_empty(),
        "{} architecture problem(s) in {} cycle(s):\n{}",
        problems.len(),
        cycles.len(),
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_through_groups_super_chains_comments_and_test_items() {
    let source = r#"
        // crate::web in a comment is not a use
        use crate::{clock::Clock, feed::{Feed, Post}};
        use crate::storage as store;
        const TEXT: &str = "crate::web in a string";
        fn f() -> char { let _x: &'static str = ""; 'c' }
        fn g() { super::super::media::thing(); }
        #[cfg(test)]
        mod tests { use crate::web::Thing; }
        #[cfg(test)]
        #[allow(dead_code)]
        fn only_for_tests() { crate::startup::x(); }
        fn h() { igfeed_sandbox::start(); }
    "#;
    let (found, test_files) = scan(source, &["config".to_owned(), "inner".to_owned()]);
    let names: Vec<&str> = found.iter().map(|(_, used)| used.name()).collect();
    assert_eq!(
        names,
        ["clock", "feed", "storage", "media", "sandbox"],
        "references found: {found:?}"
    );
    assert!(test_files.is_empty());
    let (_, test_files) = scan("#[cfg(test)]\nmod tests;\nmod real;", &["feed".to_owned()]);
    assert_eq!(test_files, ["tests"]);
}

/// Each module's layer number, from the README's table rows `| 3 | `feed`, `media` | … |`.
fn layers_from_readme(readme: &str) -> BTreeMap<String, u32> {
    let mut layers = BTreeMap::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, number, modules, ..] = cells.as_slice() else {
            continue;
        };
        let Ok(number) = number.parse::<u32>() else {
            continue;
        };
        for name in modules.split('`').skip(1).step_by(2) {
            layers.insert(name.to_owned(), number);
        }
    }
    layers
}

/// The names of `src/`'s top-level modules (files and folders; the crate roots left out).
fn module_names(src: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(src).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name");
        if path.is_dir() {
            names.insert(name.to_owned());
        } else if let Some(stem) = name.strip_suffix(".rs")
            && !matches!(stem, "lib" | "main")
        {
            names.insert(stem.to_owned());
        }
    }
    names
}

/// Every reference from one top-level module to another in the library's non-test code, and
/// from each workspace crate under `crates/` (counted as the module named after it).
fn references_in(src: &Path, root: &Path) -> Vec<Reference> {
    let mut references = Vec::new();
    let mut units: Vec<(PathBuf, Option<String>)> = vec![(src.to_owned(), None)];
    if let Ok(entries) = std::fs::read_dir(root.join("crates")) {
        for entry in entries {
            let dir = entry.expect("directory entry").path();
            let name = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned);
            units.push((dir.join("src"), name));
        }
    }
    for (dir, crate_module) in units {
        let mut files = Vec::new();
        rust_files(&dir, &mut files);
        files.sort();
        let mut test_only: BTreeSet<PathBuf> = BTreeSet::new();
        let mut scanned = Vec::new();
        for file in &files {
            let relative = file.strip_prefix(&dir).expect("file under its folder");
            // main.rs is the binary: it can only use the library's public API.
            if crate_module.is_none() && relative == Path::new("main.rs") {
                continue;
            }
            let module_path = module_path(relative);
            let (found, declared_tests) = scan(&read(file), &module_path);
            let folder = module_folder(file);
            for name in declared_tests {
                test_only.insert(folder.join(format!("{name}.rs")));
                test_only.insert(folder.join(&name));
            }
            let from = match &crate_module {
                Some(name) => name.clone(),
                None => match module_path.first() {
                    Some(first) => first.clone(),
                    None => continue, // lib.rs only declares the modules
                },
            };
            scanned.push((file.clone(), from, found));
        }
        for (file, from, found) in scanned {
            if test_only.iter().any(|test| file.starts_with(test)) {
                continue;
            }
            let shown = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            for (line, used) in found {
                // Inside a workspace crate, `crate::…` paths stay within that crate.
                if crate_module.is_some() && matches!(used, Used::Module(_)) {
                    continue;
                }
                let to = used.name().to_owned();
                if to != from {
                    references.push(Reference {
                        file: shown.clone(),
                        line,
                        from: from.clone(),
                        to,
                    });
                }
            }
        }
    }
    references
}

/// The module path a file defines: `feed/service/pages.rs` → `[feed, service, pages]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if !matches!(stem, "mod" | "lib" | "main") {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// The folder where a file's child modules live (`a.rs` → `a/`, `a/mod.rs` → `a/`).
fn module_folder(file: &Path) -> PathBuf {
    let parent = file.parent().expect("file has a folder");
    match file.file_stem().and_then(|s| s.to_str()) {
        Some("mod" | "lib" | "main") | None => parent.to_owned(),
        Some(stem) => parent.join(stem),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The top-level modules `source` uses (line, name), and the child modules it declares as
/// `#[cfg(test)] mod name;`. `module_path` is where the file sits, for `super::` chains.
fn scan(source: &str, module_path: &[String]) -> (Vec<(usize, Used)>, Vec<String>) {
    let (code, test_files) = without_test_items(&blank_comments_and_literals(source));
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident_start(bytes[i]) || (i > 0 && is_ident(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let word = ident_at(bytes, i);
        let line = code[..i].matches('\n').count() + 1;
        let mut next = i + word.len();
        if word == "crate" && bytes[next..].starts_with(b"::") {
            next += 2;
            for name in path_heads(bytes, next) {
                found.push((line, Used::Module(name)));
            }
        } else if word == "super" {
            let mut depth = 1;
            while bytes[next..].starts_with(b"::super") {
                depth += 1;
                next += "::super".len();
            }
            if depth >= module_path.len() && bytes[next..].starts_with(b"::") {
                for name in path_heads(bytes, next + 2) {
                    found.push((line, Used::Module(name)));
                }
            }
        } else if let Some(name) = word.strip_prefix("igfeed_")
            && bytes[next..].starts_with(b"::")
        {
            found.push((line, Used::Crate(name.to_owned())));
        }
        i = next;
    }
    (found, test_files)
}

/// The first segment of each path at `at`: `feed::x` → feed; `{a::b, c}` → a, c.
fn path_heads(bytes: &[u8], at: usize) -> Vec<String> {
    let mut at = skip_space(bytes, at);
    if bytes.get(at) != Some(&b'{') {
        return vec![ident_at(bytes, at)]
            .into_iter()
            .filter(|w| !w.is_empty())
            .collect();
    }
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expecting_head = true;
    while at < bytes.len() {
        match bytes[at] {
            b'{' => {
                depth += 1;
                expecting_head = depth == 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => expecting_head = true,
            b if is_ident_start(b) && expecting_head => {
                let word = ident_at(bytes, at);
                at += word.len();
                if word != "self" {
                    heads.push(word);
                }
                expecting_head = false;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    heads
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

fn ident_at(bytes: &[u8], at: usize) -> String {
    let end = (at..bytes.len())
        .find(|&j| !is_ident(bytes[j]))
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[at..end]).into_owned()
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `source` with comments, string and character literals replaced by spaces (newlines kept,
/// so line numbers stay true).
fn blank_comments_and_literals(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |out: &mut String, text: &[char]| {
        for &c in text {
            out.push(if c == '\n' { '\n' } else { ' ' });
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let previous_is_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if rest.starts_with(&['/', '/']) {
            let end = rest.iter().position(|&c| c == '\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(&['/', '*']) {
            let mut depth = 0;
            let mut j = 0;
            while j < rest.len() {
                if rest[j..].starts_with(&['/', '*']) {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(&['*', '/']) {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j.min(rest.len())]);
            i += j;
        } else if let Some(len) = raw_string_len(rest).filter(|_| !previous_is_ident) {
            blank(&mut out, &rest[..len]);
            i += len;
        } else if rest[0] == '"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != '"' {
                j += if rest[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == '\'' {
            // A character literal ('x', '\n', '\u{1F600}'), or else a lifetime ('a).
            let len = if rest.get(1) == Some(&'\\') {
                rest.iter().skip(2).position(|&c| c == '\'').map(|p| p + 3)
            } else if rest.get(2) == Some(&'\'') {
                Some(3)
            } else {
                None
            };
            match len {
                Some(len) => {
                    blank(&mut out, &rest[..len]);
                    i += len;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(rest[0]);
            i += 1;
        }
    }
    out
}

/// The length of a raw string literal (`r"…"`, `r#"…"#`, `br"…"`) starting here, if one does.
fn raw_string_len(rest: &[char]) -> Option<usize> {
    let start = match rest {
        ['r', ..] => 1,
        ['b', 'r', ..] => 2,
        _ => return None,
    };
    let hashes = rest[start..].iter().take_while(|&&c| c == '#').count();
    if rest.get(start + hashes) != Some(&'"') {
        return None;
    }
    let body = start + hashes + 1;
    let closing: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    (body..rest.len())
        .find(|&j| rest[j..].starts_with(&closing))
        .map(|j| j + closing.len())
        .or(Some(rest.len()))
}

/// `code` with every `#[cfg(test)]` item blanked, and the names of `#[cfg(test)] mod x;`.
fn without_test_items(code: &str) -> (String, Vec<String>) {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::with_capacity(code.len());
    let mut test_modules = Vec::new();
    let mut rest = code;
    while let Some(start) = rest.find(MARK) {
        out.push_str(&rest[..start]);
        let item = &rest[start..];
        let end = item_end(item, MARK.len());
        let text = &item[..end];
        if let Some(name) = declared_module(&text[MARK.len()..]) {
            test_modules.push(name);
        }
        out.extend(text.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
        rest = &item[end..];
    }
    out.push_str(rest);
    (out, test_modules)
}

/// Where the item after an attribute ends: its `;`, or the `}` closing its first block.
fn item_end(item: &str, from: usize) -> usize {
    let bytes = item.as_bytes();
    let mut at = from;
    let mut depth = 0usize;
    let mut brackets = 0usize;
    while at < bytes.len() {
        match bytes[at] {
            b'[' => brackets += 1,
            b']' => brackets = brackets.saturating_sub(1),
            b';' if depth == 0 && brackets == 0 => return at + 1,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return at + 1;
                }
            }
            _ => {}
        }
        at += 1;
    }
    bytes.len()
}

/// `mod name;` (after attributes and a visibility), as the file it declares.
fn declared_module(item: &str) -> Option<String> {
    let item = item.trim();
    if !item.ends_with(';') {
        return None;
    }
    let words: Vec<&str> = item
        .trim_end_matches(';')
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let position = words.iter().position(|&w| w == "mod")?;
    words.get(position + 1).map(|w| (*w).to_owned())
}

/// Module → module → the references that make the edge.
type Graph = BTreeMap<String, BTreeMap<String, Vec<Reference>>>;

fn graph_of(references: &[Reference]) -> Graph {
    let mut graph = Graph::new();
    for reference in references {
        graph
            .entry(reference.from.clone())
            .or_default()
            .entry(reference.to.clone())
            .or_default()
            .push(reference.clone());
    }
    graph
}

/// The groups of modules that reach each other (strongly connected components of more than
/// one module), each sorted.
fn cycles_in(graph: &Graph) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = graph
        .iter()
        .flat_map(|(from, to)| std::iter::once(from).chain(to.keys()))
        .collect();
    let reaches = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(node) = stack.pop() {
            for next in graph.get(&node).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|&node| (node, reaches(node))).collect();
    let mut cycles: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for &node in &nodes {
        if placed.contains(node) || !reach[node].contains(node) {
            continue;
        }
        let group: Vec<String> = nodes
            .iter()
            .filter(|&&other| reach[node].contains(other) && reach[other].contains(node))
            .map(|&other| other.clone())
            .collect();
        placed.extend(group.iter().cloned());
        cycles.push(group);
    }
    cycles
}

/// A cycle with one reference for each of its edges, so the message says where to cut.
fn describe_cycle(group: &[String], graph: &Graph) -> String {
    let mut text = format!("cycle between {}:", group.join(", "));
    for from in group {
        for (to, references) in graph.get(from).into_iter().flatten() {
            if group.contains(to) {
                let first = &references[0];
                let _ = write!(
                    text,
                    "\n    {from} -> {to} ({} uses, first at {}:{})",
                    references.len(),
                    first.file,
                    first.line
                );
            }
        }
    }
    text
}

/// What each module uses, layer by layer from the top, printed with `--nocapture`.
fn summary(graph: &Graph, layers: &BTreeMap<String, u32>, cycles: &[Vec<String>]) -> String {
    let mut by_layer: BTreeMap<u32, Vec<&String>> = BTreeMap::new();
    for (module, layer) in layers {
        by_layer.entry(*layer).or_default().push(module);
    }
    let mut text = String::from("module dependencies (layer: module -> what it uses)\n");
    for (layer, modules) in by_layer.iter().rev() {
        for module in modules {
            let uses: Vec<&str> = graph
                .get(*module)
                .into_iter()
                .flat_map(|e| e.keys())
                .map(String::as_str)
                .collect();
            let _ = writeln!(text, "  {layer}: {module} -> {}", uses.join(" "));
        }
    }
    let _ = write!(text, "cycles: {}", cycles.len());
    for cycle in cycles {
        let _ = write!(text, "\n  {}", cycle.join(" <-> "));
    }
    text
}
