//! `Ref::name` placeholders in a job's command, replaced by its parameters.

use std::collections::BTreeMap;

/// Replaces each `Ref::name` in an argument with the parameter `name`; a name is letters,
/// digits, `_` and `-`. Unknown names stay as they are.
pub(super) fn substitute(arg: &str, parameters: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(at) = rest.find("Ref::") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 5..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        match parameters.get(&after[..end]) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[at..at + 5 + end]),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_replace_whole_ref_arguments() {
        let params = [("seconds".to_owned(), "3".to_owned())]
            .into_iter()
            .collect();
        assert_eq!(substitute("Ref::seconds", &params), "3");
        assert_eq!(substitute("Ref::missing", &params), "Ref::missing");
        assert_eq!(substitute("sleep", &params), "sleep");
        assert_eq!(
            substitute("sleep Ref::seconds; echo Ref::x", &params),
            "sleep 3; echo Ref::x"
        );
    }
}
