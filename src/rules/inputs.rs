//! Rules on the inputs themselves: OIM060 nothing to diagnose, OIM061 skipped files.

use super::{cap_evidence, spooler::count, Evidence, Finding, RuleContext};
use crate::model::ScanData;

pub(super) fn evaluate(scan: &ScanData, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let logs = scan.scanned.iter().filter(|s| s.kind.is_log()).count();
    if scan.spoolers.is_empty() && scan.spool_items.is_empty() && logs == 0 {
        out.push(Finding::new(
            "OIM060",
            format!(
                "No History Spooler folder and no client logs were found in {}: there is no \
                 evidence either way.",
                if ctx.roots.is_empty() {
                    "the scanned paths".to_string()
                } else {
                    ctx.roots.join(", ")
                }
            ),
            vec![],
        ));
    }
    if !scan.skipped.is_empty() {
        let ev = scan
            .skipped
            .iter()
            .map(|s| Evidence {
                path: s.path.display().to_string(),
                line: None,
                excerpt: s.reason.clone(),
            })
            .collect();
        out.push(Finding::new(
            "OIM061",
            format!(
                "{} skipped; the reasons are listed.",
                count(scan.skipped.len(), "input")
            ),
            cap_evidence(ev, "skipped inputs"),
        ));
    }
}
