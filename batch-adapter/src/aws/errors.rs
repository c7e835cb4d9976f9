//! SDK errors, classified: client mistakes, throttling, server faults, no answer.

use aws_sdk_batch::config::http::HttpResponse;
use aws_sdk_batch::error::{ProvideErrorMetadata, SdkError};

use crate::api::{BatchError, BatchErrorKind};

/// What went wrong with an SDK call.
pub(crate) struct Failure {
    pub(crate) kind: BatchErrorKind,
    /// The service's error code (`ClientException`, ...), or a description of the kind.
    pub(crate) code: String,
    pub(crate) message: String,
}

pub(crate) fn classify<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default().to_owned();
            let status = service.raw().status().as_u16();
            let kind =
                if status == 429 || code.contains("TooManyRequests") || code.contains("Throttl") {
                    BatchErrorKind::Throttling
                } else if status >= 500 || code == "ServerException" {
                    BatchErrorKind::Server
                } else {
                    BatchErrorKind::Client
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
            let kind = if status == 429 {
                BatchErrorKind::Throttling
            } else {
                BatchErrorKind::Server
            };
            Failure {
                kind,
                code: format!("HTTP{status}"),
                message: format!("HTTP {status}: {}", chain(err)),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Failure {
            kind: BatchErrorKind::Network,
            code: "NetworkError".into(),
            message: chain(err),
        },
        _ => Failure {
            kind: BatchErrorKind::Client,
            code: "ClientError".into(),
            message: chain(err),
        },
    }
}

/// A Batch API error from an SDK error.
pub(crate) fn batch_error<E>(err: SdkError<E, HttpResponse>) -> BatchError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let failure = classify(&err);
    BatchError {
        kind: failure.kind,
        message: failure.message,
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
