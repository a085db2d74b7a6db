//! Appending to a session file: redact, serialize, write the whole line in one call, and fsync
//! when asked (at turn ends). Resuming a thread reopens its file for appending after cutting off
//! a torn last line, so that new lines never continue a half-written one.
//!
//! Deliberately not here: buffering or a background task. Each `append` is one `write(2)` to the
//! page cache; the caller decides where (a blocking thread, or inline for small lines).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use super::redact::Redactor;
use super::{check_thread_id, clock, io_err, sessions_dir, Result, RolloutError, RolloutLine, SessionMeta};

/// The process's redactor, built once (it reads the environment and compiles regexes).
fn default_redactor() -> &'static Redactor {
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    REDACTOR.get_or_init(Redactor::from_env)
}

pub struct RolloutWriter {
    path: PathBuf,
    file: File,
    redactor: Redactor,
    /// Whether the directory entry of a newly created file still needs an fsync.
    dir_unsynced: bool,
}

impl std::fmt::Debug for RolloutWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RolloutWriter").field("path", &self.path).finish_non_exhaustive()
    }
}

impl RolloutWriter {
    /// Creates `sessions/YYYY/MM/DD/<id>.jsonl` under `state_dir` (today's UTC date) and writes
    /// the metadata line. Fails if the thread's file already exists there.
    pub fn create(state_dir: &Path, meta: &SessionMeta) -> Result<RolloutWriter> {
        RolloutWriter::create_with(state_dir, meta, default_redactor().clone())
    }

    /// `create` with a given redactor (tests).
    pub fn create_with(state_dir: &Path, meta: &SessionMeta, redactor: Redactor) -> Result<RolloutWriter> {
        check_thread_id(&meta.id)?;
        let (y, m, d) = clock::utc_ymd(SystemTime::now());
        let dir = sessions_dir(state_dir).join(format!("{y:04}")).join(format!("{m:02}")).join(format!("{d:02}"));
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let path = dir.join(format!("{}.jsonl", meta.id));
        let file = OpenOptions::new().append(true).create_new(true).open(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                RolloutError::AlreadyExists { path: path.clone() }
            } else {
                RolloutError::Io { path: path.clone(), source }
            }
        })?;
        let mut writer = RolloutWriter { path, file, redactor, dir_unsynced: true };
        writer.append(&RolloutLine::SessionMeta(meta.clone()))?;
        Ok(writer)
    }

    /// Reopens an existing session file for appending (to continue a resumed thread). A torn
    /// last line (no final newline: the writer was killed mid-line) is cut off first.
    pub fn resume(path: &Path) -> Result<RolloutWriter> {
        let mut file = OpenOptions::new().read(true).append(true).open(path).map_err(io_err(path))?;
        let len = file.metadata().map_err(io_err(path))?.len();
        let keep = complete_prefix_len(&mut file, len).map_err(io_err(path))?;
        if keep < len {
            tracing::warn!(path = %path.display(), dropped = len - keep, "cutting a torn last line off a session file");
            file.set_len(keep).map_err(io_err(path))?;
        }
        Ok(RolloutWriter { path: path.to_path_buf(), file, redactor: default_redactor().clone(), dir_unsynced: false })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line: redacted, serialized, newline-terminated, in a single `write_all`.
    /// `ResponseItem::Other` (an item this build does not know) is not written.
    pub fn append(&mut self, line: &RolloutLine) -> Result<()> {
        if matches!(line, RolloutLine::ResponseItem { item: agent_protocol::ResponseItem::Other }) {
            return Ok(());
        }
        let mut value = serde_json::to_value(line).map_err(RolloutError::Serialize)?;
        self.redactor.redact_value(&mut value);
        let mut bytes = serde_json::to_vec(&value).map_err(RolloutError::Serialize)?;
        bytes.push(b'\n');
        self.file.write_all(&bytes).map_err(io_err(&self.path))
    }

    /// Appends each item as a `response_item` line.
    pub fn append_items<'a>(&mut self, items: impl IntoIterator<Item = &'a agent_protocol::ResponseItem>) -> Result<()> {
        for item in items {
            self.append(&RolloutLine::item(item.clone()))?;
        }
        Ok(())
    }

    /// fsyncs the file's data (and, the first time, its directory, so the new file's name is
    /// durable too). Called at each turn end.
    pub fn sync(&mut self) -> Result<()> {
        self.file.sync_data().map_err(io_err(&self.path))?;
        if self.dir_unsynced {
            if let Some(dir) = self.path.parent() {
                // Directories cannot be fsynced on every platform; the data is what matters.
                if let Ok(d) = File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            self.dir_unsynced = false;
        }
        Ok(())
    }
}

/// The length of the file up to and including its last newline.
fn complete_prefix_len(file: &mut File, len: u64) -> std::io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let mut end = len;
    let mut buf = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}
