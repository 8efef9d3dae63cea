//! Kernel services: time. (Filled in by issue 5's work; each area contributes its exports here.)

use crate::services::ExportEntry;

/// This area's exports.
pub fn exports() -> Vec<ExportEntry> {
    Vec::new()
}
