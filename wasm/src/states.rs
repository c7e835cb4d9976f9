//! The workflow's state names. Events name their states by index in this table, which JS reads
//! once (`stateName`), instead of carrying the text every time.

pub(crate) const SUBMIT: &str = "Submit Job";
pub(crate) const WAIT: &str = "Wait";
pub(crate) const CHECK: &str = "Get Job Status";
pub(crate) const CHOICE: &str = "Job Complete?";
pub(crate) const NOTIFY_SUCCESS: &str = "Notify Success";
pub(crate) const SUCCEEDED: &str = "Succeeded";
pub(crate) const NOTIFY_FAILURE: &str = "Notify Failure";
pub(crate) const FAILED: &str = "Failed";

const NAMES: [&str; 8] = [
    SUBMIT,
    WAIT,
    CHECK,
    CHOICE,
    NOTIFY_SUCCESS,
    SUCCEEDED,
    NOTIFY_FAILURE,
    FAILED,
];

/// The index of a state name.
pub(crate) fn index(name: &str) -> Option<u32> {
    NAMES.iter().position(|n| *n == name).map(|i| i as u32)
}

/// The state name at `index`.
pub(crate) fn name(index: u32) -> Option<&'static str> {
    NAMES.get(index as usize).copied()
}
