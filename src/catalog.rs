//! The File Sync error catalog (being written: see issue 3).
