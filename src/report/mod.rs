//! The report: a model built once from scan results and findings, and
//! renderers that read only that model.

pub mod catalog;
pub mod json;
pub mod markdown;
pub mod model;
pub mod ndjson;
pub mod schema;
pub mod term;
pub mod text;

pub use model::{build, Report, Verdict};
