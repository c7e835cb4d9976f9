//! How runs and owners are kept in the table: one item per run, one per owner, under the
//! partition key `pk`.
//!
//! | item | `pk` | attributes |
//! | --- | --- | --- |
//! | a run | `run#<run id>` | `workflow` (S), `checkpoint` (S, JSON), `finished` (BOOL), `owner` (S), `outcome` (S, JSON; once finished) |
//! | an owner | `owner#<owner id>` | `beat` (N): incremented by the owner every lease/3 |

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use pollflow::store::StoreError;
use pollflow::Checkpoint;

/// An item as the SDK returns it.
pub(super) type Item = HashMap<String, AttributeValue>;

/// The partition key.
pub(super) const PK: &str = "pk";
pub(super) const WORKFLOW: &str = "workflow";
pub(super) const CHECKPOINT: &str = "checkpoint";
pub(super) const FINISHED: &str = "finished";
pub(super) const OWNER: &str = "owner";
pub(super) const OUTCOME: &str = "outcome";
pub(super) const BEAT: &str = "beat";

/// Every attribute name above as an `ExpressionAttributeNames` placeholder (`#owner`, ...):
/// some (`owner`) are DynamoDB reserved words.
pub(super) fn names(attributes: &[&'static str]) -> Option<HashMap<String, String>> {
    Some(
        attributes
            .iter()
            .map(|name| (format!("#{name}"), (*name).to_owned()))
            .collect(),
    )
}

/// The key of run `run`'s item.
pub(super) fn run_key(run: &str) -> AttributeValue {
    AttributeValue::S(format!("run#{run}"))
}

/// The key of owner `owner`'s item.
pub(super) fn owner_key(owner: &str) -> AttributeValue {
    AttributeValue::S(format!("owner#{owner}"))
}

pub(super) fn text(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// The run id of a run item.
pub(super) fn run_id(item: &Item) -> Option<&str> {
    string(item, PK)?.strip_prefix("run#")
}

/// The owner of a run item (`None`: no owner recorded).
pub(super) fn owner(item: &Item) -> Option<&str> {
    string(item, OWNER)
}

/// The beat of an owner item; a missing item or attribute counts as beat 0.
pub(super) fn beat(item: Option<&Item>) -> Result<u64, StoreError> {
    match item.and_then(|item| item.get(BEAT)) {
        None => Ok(0),
        Some(AttributeValue::N(n)) => n.parse().map_err(|_| {
            StoreError::new(format!(
                "dynamodb store: an owner's beat is not a count: {n:?}"
            ))
        }),
        Some(other) => Err(StoreError::new(format!(
            "dynamodb store: an owner's beat is not a number: {other:?}"
        ))),
    }
}

/// The checkpoint a run item holds.
pub(super) fn checkpoint(item: &Item) -> Result<Checkpoint, StoreError> {
    let what = || run_id(item).unwrap_or("(no run id)").to_owned();
    let text = string(item, CHECKPOINT).ok_or_else(|| {
        StoreError::new(format!(
            "dynamodb store: run {} has no checkpoint attribute",
            what()
        ))
    })?;
    serde_json::from_str(text).map_err(|e| {
        StoreError::new(format!(
            "dynamodb store: the saved checkpoint of run {} does not load",
            what()
        ))
        .with_source(e)
    })
}

/// Serializes a checkpoint or an outcome.
pub(super) fn json<T: serde::Serialize>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| {
        StoreError::new(format!("dynamodb store: cannot serialize {what}")).with_source(e)
    })
}

fn string<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}
