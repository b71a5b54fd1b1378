//! Plain column-aligned tables for `models` and `sessions`.

use std::io::{self, Write};

/// Writes `header` and `rows` aligned in columns; `paint(column, cell)` may colour a cell
/// (applied after padding, so escape codes do not upset the alignment).
///
/// # Errors
/// The write error (a broken pipe included).
pub(crate) fn write<const N: usize>(
    out: &mut impl Write,
    header: &[&str; N],
    rows: &[[String; N]],
    paint: impl Fn(usize, &str) -> String,
) -> io::Result<()> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>, plain: Vec<usize>| {
        let mut text = String::new();
        for (i, (cell, len)) in cells.iter().zip(plain).enumerate() {
            text.push_str(cell);
            if i + 1 < N {
                text.push_str(&" ".repeat(widths[i].saturating_sub(len) + 2));
            }
        }
        text.trim_end().to_owned()
    };
    writeln!(
        out,
        "{}",
        line(
            header.iter().map(|h| (*h).to_owned()).collect(),
            header.iter().map(|h| h.chars().count()).collect()
        )
    )?;
    for row in rows {
        writeln!(
            out,
            "{}",
            line(
                row.iter().enumerate().map(|(i, c)| paint(i, c)).collect(),
                row.iter().map(|c| c.chars().count()).collect()
            )
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_align() {
        let mut out = Vec::new();
        super::write(
            &mut out,
            &["A", "BB"],
            &[["long".into(), "x".into()], ["s".into(), "yy".into()]],
            |_, c| c.to_owned(),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "A     BB\nlong  x\ns     yy\n"
        );
    }
}
