//! Why a request was refused, in the shape AWS front ends report it.

/// A refused request. [`AuthError::code`] is the error name the caller sends
/// in `x-amzn-ErrorType`, [`AuthError::status`] the HTTP status, and the
/// `Display` text the message for the client.
///
/// Messages never contain a signature or a secret: where AWS would echo the
/// whole `Authorization` header, the echo is left out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Neither an `Authorization` header nor anything else that could
    /// authenticate the request.
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// The `Authorization` header (or the date it depends on) is incomplete or
    /// cannot be parsed.
    #[error("{0}")]
    IncompleteSignature(String),
    /// The signature is well formed but does not hold: wrong scope, expired,
    /// or not what the secret key produces for this request.
    #[error("{0}")]
    InvalidSignature(String),
    /// The access key id is not known.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
}

pub(crate) const MSG_SIGNATURE_MISMATCH: &str = "The request signature we calculated does not \
match the signature you provided. Check your AWS Secret Access Key and signing method. Consult \
the service documentation for details.";

pub(crate) const MSG_CONTENT_SHA256_MISMATCH: &str =
    "The provided 'x-amz-content-sha256' header does not match what was computed.";

impl AuthError {
    /// The AWS error name, e.g. `InvalidSignatureException`.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::InvalidSignature(_) => "InvalidSignatureException",
            AuthError::UnrecognizedClient => "UnrecognizedClientException",
        }
    }

    /// The HTTP status code to answer with.
    ///
    /// `IncompleteSignatureException` is 400 as on AWS's JSON front ends
    /// (DynamoDB-style); some AWS front ends answer it with 403, and which one
    /// the Chime SDK Meetings endpoint uses could not be confirmed.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::IncompleteSignature(_) => 400,
            AuthError::MissingAuthenticationToken
            | AuthError::InvalidSignature(_)
            | AuthError::UnrecognizedClient => 403,
        }
    }

    pub(crate) fn incomplete(msg: impl Into<String>) -> Self {
        AuthError::IncompleteSignature(msg.into())
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        AuthError::InvalidSignature(msg.into())
    }

    pub(crate) fn mismatch() -> Self {
        AuthError::InvalidSignature(MSG_SIGNATURE_MISMATCH.to_owned())
    }
}
