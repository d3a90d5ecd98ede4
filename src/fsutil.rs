//! Small file helpers.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// Write `bytes` to `path` so that a reader sees either the old file or the whole new one, never a part:
/// write a temporary file beside it, flush it to disk, then rename it over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::invalid_input(format!("'{}' is not a file path", path.display())))?
        .to_string_lossy()
        .to_string();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::new(ErrorKind::Io, format!("cannot write '{}': {e}", path.display())));
    }
    Ok(())
}
