//! Every string of the report that comes from the evidence, visited in
//! place: what `--redact` rewrites. A test (tests/redact_visits.rs) fails if
//! a string field is missed.

use super::*;

impl Report {
    /// Calls `f` on every string the report holds that did not come from the
    /// program itself (paths, excerpts, messages, facts, times...): what
    /// `--redact` rewrites. A field added to the model must be added here;
    /// a test in `redact` fails if one is missed.
    pub fn for_each_string_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        fn source(s: &mut SourceOut, f: &mut dyn FnMut(&mut String)) {
            opt(&mut s.path, f);
            f(&mut s.excerpt);
        }
        self.machine.for_each_string_mut(f);
        opt(&mut self.time_zone.name, f);
        opt(&mut self.time_zone.windows_id, f);
        self.time_zone.offsets_applied.iter_mut().for_each(&mut *f);
        f(&mut self.summary.headline);

        let fa = &mut self.facts;
        fa.sip_users.iter_mut().for_each(&mut *f);
        opt(&mut fa.client_build, f);
        if let Some(s) = &mut fa.client_build_source {
            source(s, f);
        }
        if let Some(s) = &mut fa.mailbox_location_source {
            source(s, f);
        }
        opt(&mut fa.ews_url, f);
        let p = &mut fa.policies;
        for s in [
            &mut p.enable_offline_im,
            &mut p.enable_im_auto_archiving,
            &mut p.user_im_auto_archiving,
        ]
        .into_iter()
        .flatten()
        {
            source(&mut s.source, f);
        }

        self.spool_items.for_each_string_mut(f);
        self.attempts.for_each_string_mut(f);
        for x in &mut self.findings {
            f(&mut x.message);
            for e in &mut x.evidence {
                f(&mut e.path);
                f(&mut e.excerpt);
            }
            f(&mut x.remediation);
            opt(&mut x.user, f);
        }
        for s in &mut self.inputs.scanned {
            shared_path(&mut s.path, f);
            opt(&mut s.note, f);
        }
        for s in &mut self.inputs.skipped {
            f(&mut s.path);
            f(&mut s.reason);
        }
        for l in &mut self.inputs.limits {
            f(l);
        }
        if let Some(p) = &mut self.probe {
            probe(p, f);
        }
    }
}

/// The probe names hosts, addresses and the address autodiscover was asked
/// about in every field it fills.
fn probe(p: &mut oimdiag_vocab::probe::ProbeRun, f: &mut dyn FnMut(&mut String)) {
    f(&mut p.probed_from.note);
    p.auth_schemes.iter_mut().for_each(&mut *f);
    if let Some(a) = &mut p.address {
        f(&mut a.value);
    }
    opt(&mut p.proxy.https, f);
    opt(&mut p.proxy.http, f);
    f(&mut p.proxy.source);
    opt(&mut p.proxy.pac, f);
    for t in &mut p.targets {
        f(&mut t.url);
        f(&mut t.reason);
        for s in &mut t.steps {
            f(&mut s.detail);
        }
        t.auth_schemes.iter_mut().for_each(&mut *f);
        t.diagnostics.iter_mut().for_each(&mut *f);
        opt(&mut t.authorization_uri, f);
        opt(&mut t.redirect, f);
        if let Some(c) = &mut t.tls {
            opt(&mut c.protocol, f);
            f(&mut c.subject);
            f(&mut c.issuer);
            opt(&mut c.not_after, f);
            opt(&mut c.problem, f);
        }
    }
}
pub(super) fn opt(s: &mut Option<String>, f: &mut dyn FnMut(&mut String)) {
    if let Some(s) = s {
        f(s);
    }
}

/// A boxed string is rewritten through a `String` and boxed again.
pub(super) fn boxed_opt(s: &mut Option<Box<str>>, f: &mut dyn FnMut(&mut String)) {
    if let Some(b) = s {
        let mut t = std::mem::take(b).into_string();
        f(&mut t);
        *b = t.into_boxed_str();
    }
}

// A shared string is replaced, never changed in place: the others holding it
// keep theirs until they are visited too.
pub(super) fn shared_opt(s: &mut Option<Arc<str>>, f: &mut dyn FnMut(&mut String)) {
    if let Some(s) = s {
        shared(s, f);
    }
}

pub(super) fn shared(s: &mut Arc<str>, f: &mut dyn FnMut(&mut String)) {
    let mut t = s.to_string();
    f(&mut t);
    if *t != **s {
        *s = t.into();
    }
}

/// A path is rewritten as the text it is shown as.
pub(super) fn shared_path(p: &mut FilePath, f: &mut dyn FnMut(&mut String)) {
    let shown = p.to_string_lossy();
    let mut t = shown.to_string();
    f(&mut t);
    if *t != *shown {
        *p = FilePath::whole(Path::new(&t));
    }
}
