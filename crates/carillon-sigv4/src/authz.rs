//! Parsing the `Authorization` header and its credential scope.
//!
//! Checks and messages follow the order and wording AWS's JSON front ends
//! were observed to use (captured responses kept in the dynalite and
//! kinesalite emulators): first the key=value syntax, then the presence of
//! `Credential`, `Signature`, `SignedHeaders` and a date, and only later the
//! algorithm and the shape of the credential.

use std::borrow::Cow;

use crate::error::AuthError;

/// The only algorithm AWS accepts for header-based SigV4.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

pub(crate) const MSG_MISSING_DATE: &str =
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";

/// The fields of an `Authorization: AWS4-HMAC-SHA256 ...` header, not yet
/// validated beyond being present.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AuthorizationHeader<'a> {
    pub algorithm: &'a str,
    pub credential: &'a str,
    pub signed_headers: &'a str,
    pub signature: &'a str,
}

/// Splits the header into its algorithm and `key=value` parameters.
///
/// `has_date` says whether the request carries `X-Amz-Date` or `Date`: a
/// missing date is reported in the same message as missing parameters, as
/// AWS does.
pub(crate) fn parse_authorization(
    value: &str,
    has_date: bool,
) -> Result<AuthorizationHeader<'_>, AuthError> {
    let value = value.trim();
    let (algorithm, rest) = value
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((value, ""));

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, val)) = part.split_once('=') else {
            return Err(missing_equal_sign(part));
        };
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_some() {
            // AWS's behaviour for a repeated parameter could not be
            // confirmed; refusing it keeps the header unambiguous.
            return Err(AuthError::incomplete(format!(
                "Authorization header has more than one '{}' parameter.",
                key.trim()
            )));
        }
        *slot = Some(val.trim()).filter(|v| !v.is_empty());
    }

    let mut msg = String::new();
    for (name, found) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if found.is_none() {
            msg.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !has_date {
        msg.push_str(MSG_MISSING_DATE);
        msg.push(' ');
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) if msg.is_empty() => {
            Ok(AuthorizationHeader {
                algorithm,
                credential,
                signed_headers,
                signature,
            })
        }
        // AWS ends this message with "Authorization=<the whole header>"; the
        // echo is dropped because it would repeat the signature.
        _ => Err(AuthError::incomplete(msg.trim_end())),
    }
}

fn missing_equal_sign(part: &str) -> AuthError {
    // AWS quotes the offending part and then the whole header. The header is
    // left out, and the part is quoted only when it is one of the parameter
    // names: anything else might be a signature or a token of another scheme.
    let msg = match part.trim() {
        name @ ("Credential" | "SignedHeaders" | "Signature") => format!(
            "'{name}' not a valid key=value pair (missing equal-sign) in Authorization header."
        ),
        _ => "Authorization header has a part that is not a valid key=value pair \
              (missing equal-sign)."
            .to_owned(),
    };
    AuthError::incomplete(msg)
}

/// Rejects any algorithm but `AWS4-HMAC-SHA256`.
pub(crate) fn check_algorithm(algorithm: &str) -> Result<(), AuthError> {
    if algorithm == ALGORITHM {
        Ok(())
    } else {
        Err(AuthError::incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). "
        )))
    }
}

/// `keyid/date/region/service/aws4_request`, split but not yet checked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CredentialScope<'a> {
    /// The whole value: it names everything the signing key is derived from.
    pub credential: &'a str,
    pub access_key_id: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
}

impl<'a> CredentialScope<'a> {
    /// Splits a `Credential` value into its five parts, none of them empty: a trailing slash or
    /// an empty segment is a sixth or a missing element, and asks for a scope the key was not
    /// derived from (the signing key names exactly these five).
    pub(crate) fn parse(credential: &'a str) -> Result<Self, AuthError> {
        let mut parts = credential.split('/');
        let five = [(); 5].map(|()| parts.next().filter(|p| !p.is_empty()));
        match (five, parts.next()) {
            (
                [Some(access_key_id), Some(date), Some(region), Some(service), Some(terminator)],
                None,
            ) => Ok(CredentialScope {
                credential,
                access_key_id,
                date,
                region,
                service,
                terminator,
            }),
            _ => Err(AuthError::incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, \
                 e.g. keyid/date/region/service/term, got '{credential}'"
            ))),
        }
    }

    /// The scope's parts as the string to sign names them (everything after the access key id).
    pub(crate) fn parts(&self) -> [&'a str; 4] {
        [self.date, self.region, self.service, self.terminator]
    }

    /// Checks the scope against the verifier's service and the request date
    /// (`YYYYMMDD` and `YYYYMMDDTHHMMSSZ`). Every problem found is reported,
    /// in AWS's order and wording, in one message.
    pub(crate) fn check(
        &self,
        service: &str,
        request_date: &str,
        request_timestamp: &str,
    ) -> Result<(), AuthError> {
        let mut msg = String::new();
        if self.region.is_empty() {
            msg.push_str("Credential should be scoped to a valid region, not ''. ");
        }
        if self.service != service {
            msg.push_str(&format!(
                "Credential should be scoped to correct service: '{service}'. "
            ));
        }
        if self.terminator != "aws4_request" {
            msg.push_str(&format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
                self.terminator
            ));
        }
        if self.date != request_date {
            msg.push_str(&format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
                 from HTTP: '{}' != '{request_date}', from '{request_timestamp}'.",
                self.date
            ));
        }
        if msg.is_empty() {
            Ok(())
        } else {
            Err(AuthError::invalid(msg))
        }
    }
}

/// The names in `SignedHeaders`, lower-cased, in the order the client gave (borrowed when the
/// client sent them in lower case, as the SDKs do).
pub(crate) fn signed_header_names(signed_headers: &str) -> Vec<Cow<'_, str>> {
    signed_headers
        .split(';')
        .map(|name| {
            let name = name.trim();
            if name.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(name.to_ascii_lowercase())
            } else {
                Cow::Borrowed(name)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    fn message(r: Result<impl std::fmt::Debug, AuthError>) -> String {
        let err = r.unwrap_err();
        assert_eq!(err.code(), "IncompleteSignatureException");
        err.to_string()
    }

    #[test]
    fn parses_the_sdk_form() {
        let h = parse_authorization(GOOD, true).unwrap();
        assert_eq!(h.algorithm, "AWS4-HMAC-SHA256");
        assert_eq!(
            h.credential,
            "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
        );
        assert_eq!(h.signed_headers, "host;x-amz-date");
        assert!(h.signature.starts_with("5fa00fa3"));
    }

    #[test]
    fn tolerates_missing_spaces_and_unknown_parameters() {
        let h = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=host,Foo=bar,Signature=00",
            true,
        )
        .unwrap();
        assert_eq!(h.credential, "a/b/c/d/e");
        assert_eq!(h.signed_headers, "host");
        assert_eq!(h.signature, "00");
    }

    #[test]
    fn reports_every_missing_part_at_once() {
        assert_eq!(
            message(parse_authorization("Bearer", false)),
            "Authorization header requires 'Credential' parameter. \
             Authorization header requires 'Signature' parameter. \
             Authorization header requires 'SignedHeaders' parameter. \
             Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        );
        assert_eq!(
            message(parse_authorization("AWS4-HMAC-SHA256", true)),
            "Authorization header requires 'Credential' parameter. \
             Authorization header requires 'Signature' parameter. \
             Authorization header requires 'SignedHeaders' parameter."
        );
        assert_eq!(
            message(parse_authorization(
                "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
                true
            )),
            "Authorization header requires 'Credential' parameter."
        );
        assert_eq!(
            message(parse_authorization(
                "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=",
                true
            )),
            "Authorization header requires 'Signature' parameter."
        );
        assert_eq!(
            message(parse_authorization(GOOD, false)),
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        );
    }

    #[test]
    fn missing_equal_sign_never_echoes_a_value() {
        for header in [
            "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature5fa00fa3155",
            "Bearer 5fa00fa3155",
        ] {
            assert_eq!(
                message(parse_authorization(header, true)),
                "Authorization header has a part that is not a valid key=value pair \
                 (missing equal-sign)."
            );
        }
        let msg = message(parse_authorization(
            "AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=5fa00fa3155",
            true,
        ));
        assert_eq!(
            msg,
            "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header."
        );
    }

    #[test]
    fn repeated_parameter_is_refused() {
        let msg = message(parse_authorization(
            &format!("{GOOD}, Signature=0000"),
            true,
        ));
        assert!(msg.contains("more than one 'Signature'"));
        assert!(!msg.contains("0000"));
    }

    #[test]
    fn algorithm_must_be_hmac_sha256() {
        assert!(check_algorithm("AWS4-HMAC-SHA256").is_ok());
        assert_eq!(
            message(check_algorithm("AWS4-HMAC-SHA25").map(|_| ())),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). "
        );
    }

    #[test]
    fn credential_needs_five_parts() {
        let scope = CredentialScope::parse("AKID/20150830/us-east-1/chime/aws4_request").unwrap();
        assert_eq!(scope.access_key_id, "AKID");
        assert_eq!(
            scope.parts(),
            ["20150830", "us-east-1", "chime", "aws4_request"]
        );
        assert_eq!(
            message(CredentialScope::parse("a/b/c/d")),
            "Credential must have exactly 5 slash-delimited elements, \
             e.g. keyid/date/region/service/term, got 'a/b/c/d'"
        );
        for bad in [
            "a/b/c/d/e/f",
            "AKID/20150830/us-east-1/chime/aws4_request/",
            "AKID//us-east-1/chime/aws4_request",
            "/20150830/us-east-1/chime/aws4_request",
            "AKID/20150830/us-east-1//aws4_request",
        ] {
            assert!(CredentialScope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scope_problems_are_reported_together() {
        let scope = CredentialScope::parse("AKID/20150831/us-east-1/service/aws5_request").unwrap();
        let err = scope
            .check("chime", "20150830", "20150830T123600Z")
            .unwrap_err();
        assert_eq!(err.code(), "InvalidSignatureException");
        assert_eq!(
            err.to_string(),
            "Credential should be scoped to correct service: 'chime'. \
             Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. \
             Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '20150831' != '20150830', from '20150830T123600Z'."
        );
        let ok = CredentialScope::parse("AKID/20150830/eu-west-9/chime/aws4_request").unwrap();
        assert!(ok.check("chime", "20150830", "20150830T123600Z").is_ok());
    }

    #[test]
    fn signed_header_names_are_lower_cased_in_order() {
        assert_eq!(
            signed_header_names("Host;x-amz-date;Content-Type"),
            ["host", "x-amz-date", "content-type"]
        );
    }
}
