//! Step Functions API errors.

use std::fmt;

use aws_sdk_sfn::config::http::HttpResponse;
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::retry::ProvideErrorKind;

use crate::aws::errors::classify;
use crate::BatchErrorKind;

/// A Step Functions call failed.
#[derive(Clone, Debug)]
pub struct SfnError {
    code: String,
    message: String,
    transient: bool,
}

impl SfnError {
    pub(super) fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        transient: bool,
    ) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            transient,
        }
    }

    /// An SDK error while `doing` something, classified as the SDK's retry classifiers do.
    pub(super) fn from_sdk<E>(doing: &str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + ProvideErrorKind + std::error::Error + 'static,
    {
        let failure = classify(err);
        Self::new(
            failure.code.clone(),
            format!("{doing}: {}: {}", failure.code, failure.message),
            !matches!(failure.kind, BatchErrorKind::Client),
        )
    }

    /// The service's error name (`StateMachineDoesNotExist`, `InvalidDefinition`,
    /// `ExecutionDoesNotExist`...), or what kind of failure it was when there is none.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Whether trying again later may succeed (throttling, a server fault, no connection);
    /// otherwise the request itself is wrong.
    pub fn is_transient(&self) -> bool {
        self.transient
    }
}

impl fmt::Display for SfnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SfnError {}
