//! The audit log: one JSON line per command, query or session event, written by a background
//! thread (callers never wait on the disk), rotated by size, flushed on shutdown. It records
//! which *named* token called, never a token itself.

use std::{
    fs::{File, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
    sync::mpsc,
    thread,
    time::{SystemTime, UNIX_EPOCH},
};

use serde_json::{Map, Value};

/// A handle to the audit log; cheap to clone. Dropping every handle stops the writer.
#[derive(Debug, Clone)]
pub struct AuditLog {
    sender: Option<mpsc::Sender<Message>>,
    path: Option<PathBuf>,
}

#[derive(Debug)]
enum Message {
    Line(String),
    Flush(mpsc::Sender<()>),
}

impl AuditLog {
    /// An audit log that records nothing.
    #[must_use]
    pub fn disabled() -> Self {
        Self {
            sender: None,
            path: None,
        }
    }

    /// Opens (creating the directory and the file, mode 0600) the log at `path`, rotated when
    /// it would grow past `max_bytes`, keeping `keep` older files (`.1` newest).
    ///
    /// # Errors
    /// When the directory or the file cannot be created.
    pub fn open(path: &Path, max_bytes: u64, keep: usize) -> io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = open_append(path)?;
        let size = file.metadata()?.len();
        let (sender, receiver) = mpsc::channel();
        let mut writer = Writer {
            path: path.to_path_buf(),
            file,
            size,
            max_bytes: max_bytes.max(1),
            keep,
        };
        thread::Builder::new()
            .name("audit-log".into())
            .spawn(move || {
                for message in receiver {
                    match message {
                        Message::Line(line) => {
                            if let Err(error) = writer.write(&line) {
                                tracing::warn!(error = %error, "audit log write failed");
                            }
                        }
                        Message::Flush(done) => {
                            let _ = writer.file.flush();
                            let _ = writer.file.sync_data();
                            let _ = done.send(());
                        }
                    }
                }
                let _ = writer.file.flush();
            })?;
        Ok(Self {
            sender: Some(sender),
            path: Some(path.to_path_buf()),
        })
    }

    /// The file, when enabled.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Records an event: `kind` (`command`, `query`, `session`, `auth`…) and its fields. A
    /// `time` field (RFC 3339, UTC) is added.
    pub fn record(&self, kind: &str, fields: Value) {
        let Some(sender) = &self.sender else { return };
        let mut object = Map::new();
        object.insert("time".into(), Value::String(rfc3339(SystemTime::now())));
        object.insert("kind".into(), Value::String(kind.to_owned()));
        if let Value::Object(fields) = fields {
            object.extend(fields);
        }
        let _ = sender.send(Message::Line(Value::Object(object).to_string()));
    }

    /// Waits until everything recorded so far is on disk.
    pub fn flush(&self) {
        let Some(sender) = &self.sender else { return };
        let (done, wait) = mpsc::channel();
        if sender.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }
}

struct Writer {
    path: PathBuf,
    file: File,
    size: u64,
    max_bytes: u64,
    keep: usize,
}

impl Writer {
    fn write(&mut self, line: &str) -> io::Result<()> {
        let bytes = line.len() as u64 + 1;
        if self.size > 0 && self.size + bytes > self.max_bytes {
            self.rotate()?;
        }
        self.file.write_all(line.as_bytes())?;
        self.file.write_all(b"\n")?;
        self.size += bytes;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        let numbered = |n: usize| PathBuf::from(format!("{}.{n}", self.path.display()));
        if self.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            let _ = std::fs::remove_file(numbered(self.keep));
            for n in (1..self.keep).rev() {
                let from = numbered(n);
                if from.exists() {
                    std::fs::rename(&from, numbered(n + 1))?;
                }
            }
            std::fs::rename(&self.path, numbered(1))?;
        }
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// `2026-11-30T11:26:13.123Z`.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mcp-lm-audit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_796_037_973_123);
        assert_eq!(rfc3339(t), "2026-11-30T11:26:13.123Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn events_are_json_lines_and_the_file_is_private() {
        let dir = temp_dir("lines");
        let path = dir.join("sub").join("audit.jsonl");
        let log = AuditLog::open(&path, 1 << 20, 3).unwrap();
        log.record(
            "command",
            json!({"cmd": "echo hi", "exit_code": 0, "token": "ci"}),
        );
        log.record("query", json!({"model": "m"}));
        log.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["kind"], "command");
        assert_eq!(lines[0]["cmd"], "echo hi");
        assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_log_rotates_and_keeps_a_bounded_number_of_files() {
        let dir = temp_dir("rotate");
        let path = dir.join("audit.jsonl");
        let log = AuditLog::open(&path, 300, 2).unwrap();
        for i in 0..40 {
            log.record("command", json!({"i": i, "pad": "x".repeat(40)}));
        }
        log.flush();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]);
        for name in &names {
            let size = std::fs::metadata(dir.join(name)).unwrap().len();
            assert!(size <= 300, "{name} is {size} bytes");
        }
        // The newest event is in the current file.
        assert!(std::fs::read_to_string(&path).unwrap().contains("\"i\":39"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_disabled_log_does_nothing() {
        let log = AuditLog::disabled();
        log.record("command", json!({}));
        log.flush();
        assert!(log.path().is_none());
    }

    #[test]
    fn an_unwritable_location_is_an_error() {
        assert!(AuditLog::open(Path::new("/proc/no-such-dir/audit.jsonl"), 10, 1).is_err());
    }
}
