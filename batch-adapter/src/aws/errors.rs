//! SDK errors, classified the way the AWS SDK's own retry classifiers classify them.
//!
//! The SDK retries a call itself (standard mode) and gives up with an `SdkError`; what is left
//! decides whether the engine may try again later (throttling, a server fault, no answer) or
//! must fail (a client mistake). The rules are the SDK's, in the SDK's order, from its public
//! pieces:
//! 1. the error modeled as retryable (`ProvideErrorKind`, as `ModeledAsRetryableClassifier`);
//! 2. the AWS error codes of `AwsErrorCodeClassifier` (`THROTTLING_ERRORS`, `TRANSIENT_ERRORS`);
//! 3. timeouts, I/O failures and unreadable responses (as `TransientErrorClassifier`);
//! 4. the HTTP status, judged by `HttpStatusCodeClassifier` itself;
//! 5. anything else is the caller's mistake.

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_sdk_batch::config::http::HttpResponse;
use aws_sdk_batch::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime::client::retries::classifiers::HttpStatusCodeClassifier;
use aws_smithy_runtime_api::client::interceptors::context::{Input, InterceptorContext};
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::{ErrorKind, ProvideErrorKind};

use crate::api::{BatchError, BatchErrorKind};

/// What went wrong with an SDK call.
pub(crate) struct Failure {
    pub(crate) kind: BatchErrorKind,
    /// The service's error code (`ClientException`, ...), or a description of the kind.
    pub(crate) code: String,
    pub(crate) message: String,
}

/// Classifies an SDK error (see the module's rules).
pub(crate) fn classify<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + ProvideErrorKind + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let code = ProvideErrorMetadata::code(service.err())
                .unwrap_or_default()
                .to_owned();
            let status = service.raw().status().as_u16();
            let kind = match service.err().retryable_error_kind() {
                Some(kind) => from_sdk_kind(kind),
                None if THROTTLING_ERRORS.contains(&code.as_str()) => BatchErrorKind::Throttling,
                None if TRANSIENT_ERRORS.contains(&code.as_str()) => BatchErrorKind::Server,
                None => by_status(status),
            };
            let message = service
                .err()
                .message()
                .map_or_else(|| format!("HTTP {status}"), str::to_owned);
            Failure {
                kind,
                code,
                message,
            }
        }
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            let kind = match by_status(status) {
                // An answer that cannot be read is transient whatever its status.
                BatchErrorKind::Client => BatchErrorKind::Server,
                kind => kind,
            };
            Failure {
                kind,
                code: format!("HTTP{status}"),
                message: format!("HTTP {status}: {}", chain(err)),
            }
        }
        SdkError::TimeoutError(_) => network(err),
        SdkError::DispatchFailure(failure) => match failure.as_connector_error() {
            Some(connector) if connector.is_timeout() || connector.is_io() => network(err),
            Some(connector) => match connector.as_other() {
                Some(kind) => Failure {
                    kind: from_sdk_kind(kind),
                    code: "DispatchFailure".into(),
                    message: chain(err),
                },
                None => client(err),
            },
            None => client(err),
        },
        _ => client(err),
    }
}

/// A Batch API error from an SDK error, which stays its source.
pub(crate) fn batch_error<E>(err: SdkError<E, HttpResponse>) -> BatchError
where
    E: ProvideErrorMetadata + ProvideErrorKind + std::error::Error + Send + Sync + 'static,
{
    let failure = classify(&err);
    BatchError::new(failure.kind, failure.message).with_source(err)
}

fn from_sdk_kind(kind: ErrorKind) -> BatchErrorKind {
    match kind {
        ErrorKind::ThrottlingError => BatchErrorKind::Throttling,
        ErrorKind::ClientError => BatchErrorKind::Client,
        // TransientError, ServerError, and kinds added later: worth another try.
        _ => BatchErrorKind::Server,
    }
}

/// The kind of an error answer with this HTTP status: what `HttpStatusCodeClassifier` calls
/// transient is a server fault; 429 is throttling; anything else a client error.
fn by_status(status: u16) -> BatchErrorKind {
    if status == 429 {
        return BatchErrorKind::Throttling;
    }
    let Ok(code) = StatusCode::try_from(status) else {
        return BatchErrorKind::Client;
    };
    let mut context = InterceptorContext::new(Input::doesnt_matter());
    context.set_response(Response::new(code, SdkBody::empty()));
    if HttpStatusCodeClassifier::default().classify_retry(&context)
        == RetryAction::NoActionIndicated
    {
        BatchErrorKind::Client
    } else {
        BatchErrorKind::Server
    }
}

fn network(err: &dyn std::error::Error) -> Failure {
    Failure {
        kind: BatchErrorKind::Network,
        code: "NetworkError".into(),
        message: chain(err),
    }
}

fn client(err: &dyn std::error::Error) -> Failure {
    Failure {
        kind: BatchErrorKind::Client,
        code: "ClientError".into(),
        message: chain(err),
    }
}

/// An error and all its sources, on one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
