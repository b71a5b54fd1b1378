//! Reading a log file's lines newest first, block by block from the end, so a reader that
//! wants the last few events never loads the whole file.

use std::{
    fs::File,
    io::{self, Read, Seek, SeekFrom},
    path::Path,
};

/// Bytes read per step.
const BLOCK: u64 = 64 * 1024;

/// Calls `visit` with each complete, non-empty line of `path`, newest first, until it returns
/// `false`. A last line still being written (no newline yet) is skipped; a missing file has
/// no lines.
///
/// # Errors
/// When the file exists but cannot be read.
pub(crate) fn lines_backwards(path: &Path, mut visit: impl FnMut(&[u8]) -> bool) -> io::Result<()> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    let mut end = file.metadata()?.len();
    // The start of a line whose beginning lies in an earlier block.
    let mut carry: Vec<u8> = Vec::new();
    // Still inside the unfinished line at the end of the file.
    let mut unfinished = true;
    while end > 0 {
        let from = end.saturating_sub(BLOCK);
        let mut buffer = vec![0; usize::try_from(end - from).unwrap_or(0)];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut buffer)?;
        buffer.extend_from_slice(&carry);
        let mut pieces: Vec<&[u8]> = buffer.split(|b| *b == b'\n').collect();
        if unfinished {
            pieces.pop(); // after the last newline: empty, or a line not finished yet
            if pieces.is_empty() {
                carry.clear();
                end = from;
                continue;
            }
            unfinished = false;
        }
        let head = if from > 0 {
            Some(pieces.remove(0))
        } else {
            None
        };
        for line in pieces.iter().rev().filter(|line| !line.is_empty()) {
            if !visit(line) {
                return Ok(());
            }
        }
        carry = head.map(<[u8]>::to_vec).unwrap_or_default();
        end = from;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::{io::Write, path::PathBuf};

    use super::*;

    fn temp_file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mcp-lm-reverse-lines-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        path
    }

    fn all(path: &Path) -> Vec<String> {
        let mut lines = Vec::new();
        lines_backwards(path, |line| {
            lines.push(String::from_utf8_lossy(line).into_owned());
            true
        })
        .unwrap();
        lines
    }

    #[test]
    fn lines_come_newest_first_across_blocks_without_the_unfinished_one() {
        let mut text = String::new();
        for i in 0..5000 {
            text.push_str(&format!("{i} {}\n", "x".repeat(50)));
        }
        text.push_str("5000 unfinish");
        let path = temp_file("big.log", &text);
        let lines = all(&path);
        assert_eq!(lines.len(), 5000);
        assert!(lines[0].starts_with("4999 "));
        assert!(lines[4999].starts_with("0 "));
        let mut first_three = Vec::new();
        lines_backwards(&path, |line| {
            first_three.push(String::from_utf8_lossy(line).into_owned());
            first_three.len() < 3
        })
        .unwrap();
        assert_eq!(first_three.len(), 3);
    }

    #[test]
    fn an_unfinished_line_longer_than_a_block_and_edge_cases() {
        let long = "y".repeat(200_000);
        let path = temp_file("long.log", &format!("a\nb\n{long}"));
        assert_eq!(all(&path), ["b", "a"]);
        let path = temp_file("long-complete.log", &format!("a\n{long}\nc\n"));
        assert_eq!(all(&path), ["c".to_owned(), long, "a".to_owned()]);
        assert!(all(&temp_file("empty.log", "")).is_empty());
        assert!(all(&temp_file("no-newline.log", "half")).is_empty());
        assert!(all(Path::new("/nonexistent/x.log")).is_empty());
    }
}
