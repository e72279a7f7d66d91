//! The TLS handshake, done with rustls (ring as the crypto provider) and a
//! verifier that asks webpki for its verdict (system store plus any
//! `--ca-file`) and records it with the certificate instead of ending the
//! handshake: the report can then name the certificate's subject, issuer
//! and expiry even when it is not trusted. The probe never goes on over a
//! connection the verdict refused, as the client would not.

use oimdiag_vocab::probe::TlsFacts;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The trust store the probe checks against: the system's, plus `--ca-file`.
pub struct Trust {
    roots: Arc<RootCertStore>,
    /// The certificates themselves (DER), for a server that presents one of
    /// them as its own (see `Recording`).
    anchors: Arc<Vec<Vec<u8>>>,
    /// What was loaded, in words (for the report).
    pub described: String,
}

impl Trust {
    pub fn load(ca_file: Option<&Path>) -> Result<Trust, String> {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let mut anchors: Vec<Vec<u8>> = native.certs.iter().map(|c| c.to_vec()).collect();
        let (system, _) = roots.add_parsable_certificates(native.certs);
        let mut described = format!("{system} certificates from the system store");
        if let Some(p) = ca_file {
            let certs = CertificateDer::pem_file_iter(p)
                .map_err(|e| format!("--ca-file {}: {e}", p.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("--ca-file {}: {e}", p.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "--ca-file {}: no PEM certificate in it",
                    p.display()
                ));
            }
            anchors.extend(certs.iter().map(|c| c.to_vec()));
            let (added, _) = roots.add_parsable_certificates(certs);
            described.push_str(&format!(" and {added} from {}", p.display()));
        }
        Ok(Trust {
            roots: Arc::new(roots),
            anchors: Arc::new(anchors),
            described,
        })
    }
}

/// ring, not aws-lc-rs: the latter needs cmake and NASM for the Windows
/// cross-build. rustls 0.23.48 deprecates ring's provider for lacking
/// post-quantum key exchange; a probe that sends no secret does not need it.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// What the verifier saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub end_entity: Option<Vec<u8>>,
    /// webpki's refusal, if it refused.
    pub verdict: Option<Error>,
}

#[derive(Debug)]
struct Recording {
    inner: Option<Arc<WebPkiServerVerifier>>,
    anchors: Arc<Vec<Vec<u8>>>,
    provider: Arc<CryptoProvider>,
    seen: Arc<Mutex<Seen>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verdict = match &self.inner {
            Some(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                .err(),
            None => Some(Error::General(
                "no trusted root certificate on this system".into(),
            )),
        };
        // A self-signed certificate made with openssl's defaults is a CA
        // (CA:TRUE), which webpki refuses as a server's own. Windows accepts
        // it when that very certificate is in the Trusted Root store, and so
        // would the client: so does the probe, if it names the host and is
        // within its validity.
        let verdict = match verdict {
            Some(Error::InvalidCertificate(rustls::CertificateError::Other(ref o)))
                if format!("{o:?}").contains("CaUsedAsEndEntity")
                    && intermediates.is_empty()
                    && self
                        .anchors
                        .iter()
                        .any(|a| a.as_slice() == end_entity.as_ref()) =>
            {
                itself_trusted(end_entity, server_name, now).err()
            }
            v => v,
        };
        if let Ok(mut s) = self.seen.lock() {
            s.end_entity = Some(end_entity.to_vec());
            s.verdict = verdict;
        }
        // The verdict is recorded; the handshake finishes so the report can
        // show the certificate, and the caller stops if it was refused.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client configuration whose verifier records into `seen`.
pub fn config(trust: &Trust, seen: Arc<Mutex<Seen>>) -> Result<Arc<ClientConfig>, String> {
    let provider = provider();
    let inner = WebPkiServerVerifier::builder_with_provider(
        Arc::clone(&trust.roots),
        Arc::clone(&provider),
    )
    .build()
    .ok();
    let verifier = Recording {
        inner,
        anchors: Arc::clone(&trust.anchors),
        provider: Arc::clone(&provider),
        seen,
    };
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// A trusted certificate presented as the server's own: it must name the
/// host and be within its validity.
fn itself_trusted(
    end_entity: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), Error> {
    let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
    rustls::client::verify_server_name(&parsed, server_name)?;
    let (_, cert) = x509_parser::parse_x509_certificate(end_entity.as_ref())
        .map_err(|_| Error::InvalidCertificate(rustls::CertificateError::BadEncoding))?;
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let v = cert.validity();
    if now > v.not_after.timestamp() {
        return Err(Error::InvalidCertificate(rustls::CertificateError::Expired));
    }
    if now < v.not_before.timestamp() {
        return Err(Error::InvalidCertificate(
            rustls::CertificateError::NotValidYet,
        ));
    }
    Ok(())
}

/// The certificate and the verdict, for the report.
pub fn facts(seen: &Seen, host: &str, protocol: Option<String>) -> TlsFacts {
    let mut subject = String::new();
    let mut issuer = String::new();
    let mut not_after = None;
    let mut expired = false;
    if let Some(der) = &seen.end_entity {
        if let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) {
            subject = cert.subject().to_string();
            issuer = cert.issuer().to_string();
            let na = cert.validity().not_after;
            not_after = chrono::DateTime::from_timestamp(na.timestamp(), 0)
                .map(oimdiag_vocab::timefmt::rfc3339);
            expired = !cert.validity().is_valid();
        }
    }
    let host_matches = seen.end_entity.as_ref().is_some_and(|der| {
        let der = CertificateDer::from(der.as_slice());
        let name = ServerName::try_from(host.to_string());
        match (rustls::server::ParsedCertificate::try_from(&der), name) {
            (Ok(p), Ok(n)) => rustls::client::verify_server_name(&p, &n).is_ok(),
            _ => false,
        }
    });
    let problem = seen.verdict.as_ref().map(describe);
    TlsFacts {
        protocol,
        subject,
        issuer,
        not_after,
        trusted: seen.verdict.is_none(),
        host_matches,
        expired,
        problem,
    }
}

/// webpki's refusal in words a helpdesk can act on.
fn describe(e: &Error) -> String {
    use rustls::CertificateError as C;
    match e {
        Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "not issued by a certification authority this machine trusts \
                                 (self-signed, or an internal CA not in the store)"
                .into(),
            C::Expired | C::ExpiredContext { .. } => "expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => "not valid yet".into(),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "issued for another name than the host".into()
            }
            C::Revoked => "revoked".into(),
            C::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => {
                "a CA certificate presented as the server's own (self-signed with CA:TRUE, as \
                 openssl makes them by default), and not itself in the trusted store"
                    .into()
            }
            other => format!("refused: {other:?}"),
        },
        other => other.to_string(),
    }
}
