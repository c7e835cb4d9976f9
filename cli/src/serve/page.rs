//! Pages of a listing (`ListStateMachines`, `ListExecutions`, `GetExecutionHistory`).

use serde_json::{json, Map, Value};

use crate::sfn_protocol::{validation, ApiError, Request};

/// One page of `items`, each with a key unique in the listing, as the answer's `field`:
/// `maxResults` of them (100 when 0 or absent, at most 1000) after the item `nextToken` names.
/// The next token is the key of the page's last item, so items added or removed meanwhile
/// are neither repeated nor skipped.
pub(super) fn page(
    items: Vec<(String, Value)>,
    request: &Request,
    field: &str,
) -> Result<Value, ApiError> {
    let size = match request.number("maxResults")? {
        None | Some(0) => 100,
        Some(n @ 1..=1000) => n as usize,
        Some(n) => return Err(validation(format!("maxResults is at most 1000, not {n}"))),
    };
    let from = match request.text("nextToken")? {
        None => 0,
        Some(token) => {
            let after = items.iter().position(|(key, _)| key == token);
            after
                .map(|at| at + 1)
                .ok_or_else(|| ApiError::new("InvalidToken", format!("Invalid Token: '{token}'")))?
        }
    };
    let more = items.len() > from + size;
    let page: Vec<(String, Value)> = items.into_iter().skip(from).take(size).collect();
    let mut body = Map::new();
    if more {
        if let Some((key, _)) = page.last() {
            body.insert("nextToken".into(), json!(key));
        }
    }
    body.insert(
        field.into(),
        page.into_iter().map(|(_, item)| item).collect(),
    );
    Ok(Value::Object(body))
}
