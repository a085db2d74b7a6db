//! The persisted cache: one binary file per workspace root, so that a restart re-parses only
//! the files that changed.
//!
//! Layout (integers are little-endian or LEB128 varints, strings are a varint length and
//! UTF-8 or path bytes):
//!
//! ```text
//! header  magic "CLIDX\0\0\0", u32 FORMAT_VERSION, u64 body length, u64 xxh3 of the body
//! body    canonical root path, the SymbolKind names in code order, file count, then per file:
//!         relative path, size, mtime (zigzag), u64 content hash, flags (1 skipped, 2 racy),
//!         skipped: reason code and two numbers;
//!         indexed: the container names, symbol count, then per symbol: name, kind code,
//!         parent + 1 (0 none), container + 1 (0 none), four positions
//! ```
//!
//! A position is stored as line (for the first, absolute; for the others a zigzag delta from the first), utf8 column,
//! and the differences utf8 - utf16 and utf16 - utf32, which are 0 on ASCII lines.
//! The cache holds derived data only: anything unexpected (wrong magic, version, checksum,
//! root, kind names, or a truncated record) discards the whole file with a warning, and
//! the index is rebuilt from disk. Writes go to a temporary file renamed into place.

use crate::filter::SkipReason;
use crate::store::{DiskState, FileKey};
use crate::symbol::{Builder, FileSymbols};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use syntax::SymbolKind;
use text::TextPos;

const MAGIC: &[u8; 8] = b"CLIDX\0\0\0";
/// Bump on any change to the layout or to what the symbols mean (queries, positions).
pub(crate) const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8 + 8;

const FLAG_SKIPPED: u8 = 1;
const FLAG_RACY: u8 = 2;

/// Every kind, in the order of their codes in the cache.
const KINDS: [SymbolKind; 17] = {
    use SymbolKind::*;
    [
        Module,
        Namespace,
        Class,
        Struct,
        Enum,
        Interface,
        Trait,
        Function,
        Method,
        Constructor,
        Field,
        EnumMember,
        Constant,
        Variable,
        TypeAlias,
        Macro,
        Impl,
    ]
};

fn kind_code(kind: SymbolKind) -> u8 {
    use SymbolKind::*;
    match kind {
        Module => 0,
        Namespace => 1,
        Class => 2,
        Struct => 3,
        Enum => 4,
        Interface => 5,
        Trait => 6,
        Function => 7,
        Method => 8,
        Constructor => 9,
        Field => 10,
        EnumMember => 11,
        Constant => 12,
        Variable => 13,
        TypeAlias => 14,
        Macro => 15,
        Impl => 16,
    }
}

/// The cache file of `root` inside `dir`: a readable prefix plus a hash of the root path.
pub(crate) fn cache_path(dir: &Path, root: &Path) -> PathBuf {
    let hash = path_bytes(root).map(|b| xxhash_rust::xxh3::xxh3_64(&b)).unwrap_or(0);
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(32)
        .collect();
    dir.join(format!("{name}-{hash:016x}.idx"))
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Option<std::borrow::Cow<'_, [u8]>> {
    use std::os::unix::ffi::OsStrExt;
    Some(std::borrow::Cow::Borrowed(path.as_os_str().as_bytes()))
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Option<std::borrow::Cow<'_, [u8]>> {
    path.to_str().map(|s| std::borrow::Cow::Borrowed(s.as_bytes()))
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(bytes).ok().map(PathBuf::from)
}

// ---------------------------------------------------------------------------------------
// Writing

struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }
    fn pos(&mut self, p: TextPos, base_line: u32) {
        self.zigzag(i64::from(p.line) - i64::from(base_line));
        self.varint(u64::from(p.utf8));
        self.zigzag(i64::from(p.utf8) - i64::from(p.utf16));
        self.zigzag(i64::from(p.utf16) - i64::from(p.utf32));
    }
}

/// Encodes the disk state of one root's files, with paths relative to `root` and the
/// canonical root `identity` to check on load. Files whose relative path cannot be stored
/// are left out (they are re-parsed next time).
pub(crate) fn encode<'a>(identity: &Path, root: &Path, files: impl Iterator<Item = (&'a Path, &'a DiskState)>) -> Vec<u8> {
    let mut w = Writer { buf: Vec::with_capacity(1 << 16) };
    w.bytes(&path_bytes(identity).unwrap_or_default());
    w.varint(KINDS.len() as u64);
    for k in KINDS {
        w.bytes(k.as_str().as_bytes());
    }
    let mut body = Writer { buf: Vec::with_capacity(1 << 20) };
    let mut count = 0u64;
    for (path, disk) in files {
        let Some(rel) = path.strip_prefix(root).ok().and_then(path_bytes) else { continue };
        count += 1;
        body.bytes(&rel);
        body.varint(disk.key.size);
        body.zigzag(disk.key.mtime_ns);
        body.buf.extend_from_slice(&disk.key.hash.to_le_bytes());
        let racy = if disk.key.racy { FLAG_RACY } else { 0 };
        match &disk.content {
            Err(reason) => {
                body.u8(FLAG_SKIPPED | racy);
                let (code, a, b) = reason.encode();
                body.u8(code);
                body.varint(a);
                body.varint(b);
            }
            Ok(symbols) => {
                body.u8(racy);
                encode_symbols(&mut body, symbols);
            }
        }
    }
    w.varint(count);
    w.buf.extend_from_slice(&body.buf);
    let mut out = Vec::with_capacity(HEADER_LEN + w.buf.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(w.buf.len() as u64).to_le_bytes());
    out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&w.buf).to_le_bytes());
    out.extend_from_slice(&w.buf);
    out
}

fn encode_symbols(w: &mut Writer, symbols: &FileSymbols) {
    w.varint(symbols.containers().len() as u64);
    for c in symbols.containers() {
        w.bytes(c.as_bytes());
    }
    w.varint(symbols.len() as u64);
    for i in 0..symbols.len() {
        w.bytes(symbols.name(i).as_bytes());
        w.u8(symbols.kind(i).map_or(0, kind_code));
        w.varint(symbols.parent(i).map_or(0, |p| u64::from(p) + 1));
        w.varint(symbols.container_index(i).map_or(0, |c| u64::from(c) + 1));
        let pos = symbols.positions(i);
        let base = pos[0].line;
        w.pos(pos[0], 0);
        for p in &pos[1..] {
            w.pos(*p, base);
        }
    }
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, renamed.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp.{}.{n}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

// ---------------------------------------------------------------------------------------
// Reading

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.at)?;
        self.at += 1;
        Some(b)
    }
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }
    fn zigzag(&mut self) -> Option<i64> {
        let v = self.varint()?;
        Some(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.varint()?).ok()
    }
    fn fixed_u64(&mut self) -> Option<u64> {
        let bytes = self.buf.get(self.at..self.at + 8)?;
        self.at += 8;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        let b = self.buf.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(b)
    }
    fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
    fn pos(&mut self, base_line: u32) -> Option<TextPos> {
        let line = u32::try_from(i64::from(base_line).checked_add(self.zigzag()?)?).ok()?;
        let utf8 = self.u32()?;
        let utf16 = u32::try_from(i64::from(utf8).checked_sub(self.zigzag()?)?).ok()?;
        let utf32 = u32::try_from(i64::from(utf16).checked_sub(self.zigzag()?)?).ok()?;
        Some(TextPos { line, utf8, utf16, utf32 })
    }
}

/// Why a cache file was not used.
#[derive(Debug)]
pub(crate) enum LoadError {
    Io(std::io::Error),
    /// Wrong magic or version: written by another release.
    Version,
    /// Bad checksum, truncated or inconsistent.
    Corrupt,
    /// Written for another root (a hash collision of file names).
    OtherRoot,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "cannot read: {e}"),
            LoadError::Version => f.write_str("written by another version"),
            LoadError::Corrupt => f.write_str("corrupt"),
            LoadError::OtherRoot => f.write_str("belongs to another root"),
        }
    }
}

/// Reads the cache of the root whose canonical form is `identity`: the disk state of each
/// file, keyed by its path under `root`.
pub(crate) fn load(path: &Path, identity: &Path, root: &Path) -> Result<HashMap<PathBuf, DiskState>, LoadError> {
    let bytes = std::fs::read(path).map_err(LoadError::Io)?;
    decode(&bytes, identity, root)
}

pub(crate) fn decode(bytes: &[u8], identity: &Path, root: &Path) -> Result<HashMap<PathBuf, DiskState>, LoadError> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(LoadError::Version);
    }
    let mut header = Reader { buf: bytes, at: 8 };
    let version = header.buf.get(8..12).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    if version != Some(FORMAT_VERSION) {
        return Err(LoadError::Version);
    }
    header.at = 12;
    let len = header.fixed_u64().ok_or(LoadError::Corrupt)?;
    let sum = header.fixed_u64().ok_or(LoadError::Corrupt)?;
    let body = &bytes[HEADER_LEN..];
    if body.len() as u64 != len || xxhash_rust::xxh3::xxh3_64(body) != sum {
        return Err(LoadError::Corrupt);
    }
    let mut r = Reader { buf: body, at: 0 };
    let stored_root = r.bytes().ok_or(LoadError::Corrupt)?;
    if path_bytes(identity).as_deref() != Some(stored_root) {
        return Err(LoadError::OtherRoot);
    }
    let nkinds = r.varint().ok_or(LoadError::Corrupt)?;
    let mut kinds = Vec::new();
    for _ in 0..nkinds {
        let name = r.str().ok_or(LoadError::Corrupt)?;
        kinds.push(SymbolKind::from_str_opt(name).ok_or(LoadError::Version)?);
    }
    let count = r.varint().ok_or(LoadError::Corrupt)?;
    let mut files = HashMap::with_capacity(count.min(1 << 20) as usize);
    for _ in 0..count {
        let (path, disk) = decode_file(&mut r, root, &kinds).ok_or(LoadError::Corrupt)?;
        files.insert(path, disk);
    }
    if r.at != body.len() {
        return Err(LoadError::Corrupt);
    }
    Ok(files)
}

fn decode_file(r: &mut Reader<'_>, root: &Path, kinds: &[SymbolKind]) -> Option<(PathBuf, DiskState)> {
    let rel = path_from_bytes(r.bytes()?)?;
    if rel.is_absolute() {
        return None;
    }
    let size = r.varint()?;
    let mtime_ns = r.zigzag()?;
    let hash = r.fixed_u64()?;
    let flags = r.u8()?;
    let key = FileKey { size, mtime_ns, hash, racy: flags & FLAG_RACY != 0 };
    let content = if flags & FLAG_SKIPPED != 0 {
        let code = r.u8()?;
        let (a, b) = (r.varint()?, r.varint()?);
        Err(SkipReason::decode(code, a, b)?)
    } else {
        Ok(decode_symbols(r, kinds)?)
    };
    Some((root.join(rel), DiskState { key, content }))
}

fn decode_symbols(r: &mut Reader<'_>, kinds: &[SymbolKind]) -> Option<Arc<FileSymbols>> {
    let ncontainers = r.varint()?;
    let mut b = Builder::default();
    for _ in 0..ncontainers {
        b.container(r.str()?)?;
    }
    let n = r.varint()?;
    b.reserve(n.min(1 << 16) as usize);
    for _ in 0..n {
        let name = r.str()?;
        let kind = *kinds.get(usize::from(r.u8()?))?;
        let parent = match r.varint()? {
            0 => None,
            p if p <= n => Some(u32::try_from(p - 1).ok()?),
            _ => return None,
        };
        let container = match r.varint()? {
            0 => None,
            c if c <= ncontainers => Some(u16::try_from(c - 1).ok()?),
            _ => return None,
        };
        let start = r.pos(0)?;
        let pos = [start, r.pos(start.line)?, r.pos(start.line)?, r.pos(start.line)?];
        b.push(name, kind, pos, parent, container);
    }
    Some(Arc::new(b.finish()))
}
