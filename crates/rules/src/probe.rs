//! Rules on the live probe: OIM032–OIM036. They read the outcome the probe
//! gave each target; the evidence cites the URL and the step that decided.
//! EWS targets fire OIM032–OIM034 and OIM036; autodiscover candidates are
//! judged together (OIM035): the client tries them in turn, so one that
//! fails is only a problem when none answers.

use crate::{Finding, RuleId};
use oimdiag_vocab::citation::Citation;
use oimdiag_vocab::probe::{ProbeRun, ProbeTarget, TargetOutcome};

pub fn evaluate(p: &ProbeRun, out: &mut Vec<Finding>) {
    let from = &p.probed_from.note;
    for (rule, outcome, what) in [
        (
            RuleId::Oim032,
            TargetOutcome::Unreachable,
            "could not be reached",
        ),
        (
            RuleId::Oim033,
            TargetOutcome::Untrusted,
            "presented a certificate this machine does not accept",
        ),
        (
            RuleId::Oim034,
            TargetOutcome::NotEws,
            "answered, but not as EWS",
        ),
    ] {
        let hit: Vec<&ProbeTarget> = p.ews().filter(|t| t.outcome == outcome).collect();
        if hit.is_empty() {
            continue;
        }
        let message = format!(
            "{} {what}: {}. {from}",
            urls(&hit),
            hit.iter()
                .map(|t| deciding(t))
                .collect::<Vec<_>>()
                .join("; ")
        );
        out.push(Finding::new(rule, message, evidence(&hit)));
    }

    let auto: Vec<&ProbeTarget> = p.autodiscover().collect();
    if !auto.is_empty() && auto.iter().all(|t| t.outcome != TargetOutcome::Answered) {
        let who = p
            .address
            .as_ref()
            .map(|a| format!(" for {}", a.value))
            .unwrap_or_default();
        let message = format!(
            "No autodiscover candidate answered{who}, in the client's order: {}. {from}",
            auto.iter()
                .map(|t| format!("{} ({})", t.url, deciding(t)))
                .collect::<Vec<_>>()
                .join("; ")
        );
        out.push(Finding::new(RuleId::Oim035, message, evidence(&auto)));
    }

    let ok: Vec<&ProbeTarget> = p
        .ews()
        .filter(|t| t.outcome == TargetOutcome::Answered)
        .collect();
    if !ok.is_empty() {
        let modern = ok.iter().any(|t| t.modern_auth);
        let message = format!(
            "{} answered 401 asking for credentials with {}{}. {from}",
            urls(&ok),
            if p.auth_schemes.is_empty() {
                "no scheme".to_string()
            } else {
                p.auth_schemes.join(", ")
            },
            if modern {
                " (Bearer with authorization_uri: hybrid modern auth is on)"
            } else {
                ""
            }
        );
        out.push(Finding::new(RuleId::Oim036, message, evidence(&ok)));
    }
}

fn urls(ts: &[&ProbeTarget]) -> String {
    let list: Vec<&str> = ts.iter().map(|t| t.url.as_str()).collect();
    match list.as_slice() {
        [one] => one.to_string(),
        many => many.join(", "),
    }
}

/// The step that decided the outcome: the first that failed, else the last.
fn deciding(t: &ProbeTarget) -> String {
    t.steps
        .iter()
        .find(|s| !s.ok)
        .or(t.steps.last())
        .map(|s| format!("{}: {}", s.step.as_str(), s.detail))
        .unwrap_or_else(|| "no step ran".into())
}

fn evidence(ts: &[&ProbeTarget]) -> Vec<Citation> {
    ts.iter()
        .map(|t| Citation {
            path: t.url.clone(),
            line: None,
            excerpt: deciding(t),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probable_causes;
    use oimdiag_vocab::probe::{ProbeStep, ProbedFrom, ProxyUse, StepKind, TargetRole, Vantage};

    fn target(role: TargetRole, outcome: TargetOutcome) -> ProbeTarget {
        ProbeTarget {
            url: format!("https://h/{outcome:?}"),
            role,
            reason: "test".into(),
            outcome,
            steps: vec![ProbeStep {
                step: StepKind::Tcp,
                ok: outcome == TargetOutcome::Answered,
                detail: "d".into(),
                elapsed_ms: 1,
            }],
            status: None,
            auth_schemes: vec![],
            diagnostics: vec![],
            modern_auth: false,
            authorization_uri: None,
            redirect: None,
            tls: None,
        }
    }

    fn run(targets: Vec<ProbeTarget>) -> Vec<Finding> {
        let p = ProbeRun {
            probed_from: ProbedFrom {
                vantage: Vantage::ThisMachine,
                note: "here".into(),
            },
            targets,
            auth_schemes: vec!["NTLM".into()],
            address: None,
            proxy: ProxyUse {
                https: None,
                http: None,
                source: "none".into(),
                pac: None,
            },
            timeout_ms: 1000,
        };
        let mut out = Vec::new();
        evaluate(&p, &mut out);
        out
    }

    #[test]
    fn each_outcome_of_an_ews_target_has_its_rule() {
        use TargetOutcome::*;
        for (o, id) in [
            (Unreachable, RuleId::Oim032),
            (Untrusted, RuleId::Oim033),
            (NotEws, RuleId::Oim034),
            (Answered, RuleId::Oim036),
        ] {
            let f = run(vec![target(TargetRole::Ews, o)]);
            assert_eq!(f.iter().map(|f| f.rule_id).collect::<Vec<_>>(), [id]);
        }
    }

    #[test]
    fn autodiscover_fails_only_when_no_candidate_answered() {
        use TargetOutcome::*;
        let none = run(vec![
            target(TargetRole::Autodiscover, Unreachable),
            target(TargetRole::Autodiscover, NotEws),
        ]);
        assert_eq!(none.len(), 1);
        assert_eq!(none[0].rule_id, RuleId::Oim035);
        let one = run(vec![
            target(TargetRole::Autodiscover, Unreachable),
            target(TargetRole::Autodiscover, Answered),
        ]);
        assert!(one.is_empty(), "{one:?}");
    }

    #[test]
    fn probe_causes_rank_around_oim030() {
        let mut f = run(vec![
            target(TargetRole::Ews, TargetOutcome::NotEws),
            target(TargetRole::Ews, TargetOutcome::Unreachable),
            target(TargetRole::Ews, TargetOutcome::Untrusted),
            target(TargetRole::Autodiscover, TargetOutcome::Unreachable),
        ]);
        f.push(Finding::new(RuleId::Oim030, String::new(), vec![]));
        f.push(Finding::new(RuleId::Oim011, String::new(), vec![]));
        f.push(Finding::new(RuleId::Oim023, String::new(), vec![]));
        assert_eq!(
            probable_causes(&f),
            [
                RuleId::Oim011,
                RuleId::Oim032,
                RuleId::Oim033,
                RuleId::Oim034,
                RuleId::Oim030,
                RuleId::Oim035,
                RuleId::Oim023
            ]
        );
    }
}
