//! The export directory, written so a deploy never ships half an export: every image first
//! (each atomically: a temp file renamed over), the directories synced, then `feed.json`
//! atomically, then the images no longer named removed. A file whose bytes are unchanged is
//! left alone (its modification time too), so a static host's and a deploy tool's caches
//! stay warm. Only names built from validated ids, sizes and hex versions are created, and
//! only files named the way an export names them are removed, so a mistaken `--out` never
//! loses anyone's files.

use std::collections::BTreeSet;
use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::io::{ErrorKind, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::media::key::parse_file_path;

/// Exported files are public: readable by the web server that publishes them.
const FILE_MODE: u32 = 0o644;
const DIR_MODE: u32 = 0o755;
/// Marks a temp file of an interrupted write (names starting with a dot, like igfeed's own).
const TEMP_MARK: &str = ".tmp-";
/// The images' directory below `--out`.
pub(super) const MEDIA: &str = "media";

/// Refuses an `--out` that exists and is not a directory (with `--with-media` it names one).
pub(super) fn check_out_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => bail!(
            "--out {} exists and is not a directory: with --with-media, --out names the \
             directory that receives feed.json and media/",
            dir.display()
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
    Ok(dir.to_owned())
}

/// What an export did to the directory.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counts {
    /// Files the document needs (itself included).
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Files (re)written because they were new or changed.
    pub written: usize,
    /// Files removed because no document names them any more.
    pub removed: usize,
}

/// One export into `root`.
pub(super) struct Output {
    root: PathBuf,
    /// Paths relative to `root` that the new document needs.
    kept: BTreeSet<String>,
    /// Directories whose entries changed, synced before the document is replaced.
    touched: BTreeSet<PathBuf>,
    counts: Counts,
}

impl Output {
    /// Creates `root` (mode 0755) when missing.
    pub fn open(root: &Path) -> anyhow::Result<Self> {
        let root = check_out_dir(root)?;
        DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(&root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        Ok(Self {
            root,
            kept: BTreeSet::new(),
            touched: BTreeSet::new(),
            counts: Counts::default(),
        })
    }

    /// Whether `relative` is already part of this export.
    pub fn has(&self, relative: &str) -> bool {
        self.kept.contains(relative)
    }

    /// Puts `bytes` at `relative` (slash-separated, built from validated parts only): left
    /// alone when the file holds them already, else written atomically as a 0644 file.
    pub fn put(&mut self, relative: &str, bytes: &[u8]) -> anyhow::Result<()> {
        if !self.kept.insert(relative.to_owned()) {
            return Ok(());
        }
        self.counts.files += 1;
        self.counts.bytes += bytes.len() as u64;
        let (parent, name) = match relative.rsplit_once('/') {
            Some((parent, name)) => (self.dir(parent)?, name),
            None => (self.root.clone(), relative),
        };
        let target = parent.join(name);
        if same_content(&target, bytes)? {
            return Ok(());
        }
        let temp = parent.join(format!(".{name}{TEMP_MARK}{:016x}", rand::random::<u64>()));
        let written = write_then_rename(&temp, &target, bytes);
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written.with_context(|| format!("cannot write {}", target.display()))?;
        self.touched.insert(parent);
        self.counts.written += 1;
        Ok(())
    }

    /// Makes what was written so far durable: the directories' new entries synced, so the
    /// document written next never names a file a power cut could take back.
    pub fn sync(&mut self) -> anyhow::Result<()> {
        for dir in std::mem::take(&mut self.touched) {
            sync_dir(&dir)?;
        }
        Ok(())
    }

    /// Removes what an earlier export wrote under `media/` that this one does not name
    /// (and temp files an interrupted export left), then empty directories. Files not named
    /// the way an export names them are left alone.
    pub fn remove_unreferenced(&mut self) -> anyhow::Result<Counts> {
        let media = self.root.join(MEDIA);
        if fs::symlink_metadata(&media).is_ok_and(|m| m.is_dir()) {
            self.sweep(&media, MEDIA)?;
        }
        self.sync()?;
        Ok(self.counts)
    }

    fn sweep(&mut self, dir: &Path, relative: &str) -> anyhow::Result<()> {
        let listing =
            fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in listing {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let path = entry.path();
            let child = format!("{relative}/{name}");
            let kind = entry.file_type()?;
            if kind.is_dir() {
                self.sweep(&path, &child)?;
                // Only empty ones: a directory holding anyone's files stays.
                if fs::remove_dir(&path).is_ok() {
                    self.touched.remove(&path);
                    self.touched.insert(dir.to_owned());
                }
                continue;
            }
            let ours = child
                .strip_prefix("media/")
                .and_then(parse_file_path)
                .is_some();
            let interrupted = name.starts_with('.') && name.contains(TEMP_MARK);
            if (ours && !self.kept.contains(&child)) || (interrupted && kind.is_file()) {
                fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
                self.touched.insert(dir.to_owned());
                self.counts.removed += usize::from(ours);
            }
        }
        Ok(())
    }

    /// The directory `relative` below the root, created (0755) component by component; an
    /// existing component must be a real directory, not a link leading elsewhere.
    fn dir(&mut self, relative: &str) -> anyhow::Result<PathBuf> {
        let mut path = self.root.clone();
        for part in relative.split('/') {
            if part.is_empty() || part.starts_with('.') {
                bail!("refusing to write below {relative:?}");
            }
            path.push(part);
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => bail!(
                    "{} is in the way: a directory of the export's is expected there",
                    path.display()
                ),
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    DirBuilder::new()
                        .mode(DIR_MODE)
                        .create(&path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    if let Some(parent) = path.parent() {
                        self.touched.insert(parent.to_owned());
                    }
                }
                Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
            }
        }
        Ok(path)
    }
}

/// Whether `path` is a regular file holding exactly `bytes`.
fn same_content(path: &Path, bytes: &[u8]) -> anyhow::Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {
            let existing =
                fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok(existing == bytes)
        }
        Ok(meta) if meta.is_dir() => bail!(
            "{} is a directory where the export writes a file",
            path.display()
        ),
        Ok(_) => Ok(false),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_then_rename(temp: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(temp)?;
    file.write_all(bytes)?;
    // Whatever the umask: the web server publishing the export must read it.
    file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp, target)
}

fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt as _;

    #[test]
    fn unchanged_files_are_left_alone_and_unnamed_ones_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("site");
        let mut out = Output::open(&root).expect("opens");
        out.put("media/1/640.ab.jpg", b"one").expect("puts");
        out.put("media/2/3/640.cd.avif", b"two").expect("puts");
        out.sync().expect("syncs");
        out.put("feed.json", b"{}").expect("puts");
        let first = out.remove_unreferenced().expect("sweeps");
        assert_eq!((first.files, first.written, first.removed), (3, 3, 0));
        let mode = fs::metadata(root.join("media/1/640.ab.jpg"))
            .expect("written")
            .mode();
        assert_eq!(mode & 0o777, 0o644);
        let inode = fs::metadata(root.join("feed.json")).expect("written").ino();

        fs::write(root.join("media/notes.txt"), "someone's").expect("foreign file");
        fs::write(root.join("media/1/.640.ab.jpg.tmp-0123"), "half").expect("temp");
        let mut again = Output::open(&root).expect("opens");
        again.put("media/1/640.ab.jpg", b"one").expect("puts");
        again.put("feed.json", b"{}").expect("puts");
        let second = again.remove_unreferenced().expect("sweeps");
        assert_eq!((second.files, second.written, second.removed), (2, 0, 1));
        assert_eq!(
            fs::metadata(root.join("feed.json")).expect("kept").ino(),
            inode
        );
        assert!(!root.join("media/2").exists(), "emptied directories go");
        assert!(!root.join("media/1/.640.ab.jpg.tmp-0123").exists());
        assert!(
            root.join("media/notes.txt").exists(),
            "not an export's name: kept"
        );
    }

    #[test]
    fn out_must_be_a_directory_and_links_are_not_followed_below_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("feed.json");
        fs::write(&file, "{}").expect("file");
        let refused = check_out_dir(&file).expect_err("a file");
        assert!(refused.to_string().contains("not a directory"), "{refused}");

        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).expect("dir");
        let root = dir.path().join("site");
        fs::create_dir_all(root.join("media")).expect("dir");
        std::os::unix::fs::symlink(&elsewhere, root.join("media/1")).expect("link");
        let mut out = Output::open(&root).expect("opens");
        assert!(out.put("media/1/640.ab.jpg", b"x").is_err());
        assert_eq!(fs::read_dir(&elsewhere).expect("lists").count(), 0);
        assert!(out.put("media/../x", b"x").is_err());
    }
}
