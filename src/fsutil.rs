//! Small file helpers.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// Refuse, before any work, an output path that cannot be written: an empty path, a folder, or a file in
/// a folder that does not exist. (A collection of minutes must not end in a path it cannot write.)
pub fn check_output_path(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() || path.is_dir() {
        return Err(Error::invalid_input(format!("'{}' is not a file path", path.display())));
    }
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(folder) if !folder.is_dir() => Err(Error::invalid_input(format!(
            "cannot write '{}': the folder '{}' does not exist; create it first, or choose another path",
            path.display(),
            folder.display()
        ))),
        _ => Ok(()),
    }
}

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
        return Err(Error::new(ErrorKind::Io, format!("cannot write '{}': {e}", path.display())).with_source(e));
    }
    Ok(())
}

/// Hand the heap's free memory back to the operating system (glibc keeps what a thread freed in that
/// thread's arena). A collection frees far more than it keeps (each page of JSON, each response), mostly on
/// the async runtime's threads, and the checks then allocate on others: without this the freed pages stay
/// resident and count twice in the process's peak. Elsewhere (other C libraries, Windows) it does nothing.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim takes no pointers; it only returns free pages of glibc's arenas to the system.
        unsafe {
            malloc_trim(0);
        }
    }
}
