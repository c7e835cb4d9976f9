//! One boto3 client script (tests/serve/client.py), run against moto's Step Functions and
//! against `pollflow serve`: what both implement must come out the same. Needs moto
//! (`scripts/moto-server.sh`, which also makes the venv with boto3).

mod support;

use std::process::Command;

use serde_json::Value;
use support::server::Server;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: start moto first"))
}

/// The script's findings against `endpoint`.
fn client(endpoint: &str, extra: &[&str]) -> Value {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let venv = std::env::var("MOTO_VENV").unwrap_or_else(|_| format!("{root}/.venv"));
    let output = Command::new(format!("{venv}/bin/python"))
        .arg("tests/serve/client.py")
        .arg(endpoint)
        .args(extra)
        .current_dir(root)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "client.py {endpoint}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn a_boto3_client_sees_pollflow_serve_as_it_sees_moto() {
    let server = Server::start(&["--mock-config", "tests/serve/job-poller.mock.json"]);
    let mut pollflow = client(&server.url, &["--pollflow"]);
    let mut moto = client(&var("MOTO_ENDPOINT"), &[]);
    assert_eq!(pollflow["pollflow"]["job poller"], "SUCCEEDED");

    // Where moto is wrong, pollflow is checked against Step Functions' documented answers,
    // and the comparison leaves the field out:
    // - moto answers an invalid definition with no error code (AWS: InvalidDefinition);
    // - moto forgets StopExecution's error and cause (AWS keeps them).
    let invalid = "/common/errors/an invalid definition";
    assert_eq!(pollflow.pointer(invalid).unwrap(), "InvalidDefinition");
    assert_eq!(
        pollflow.pointer("/common/stopped/error").unwrap(),
        "Stopped.ByClient"
    );
    assert_eq!(pollflow.pointer("/common/stopped/cause").unwrap(), "enough");
    for result in [&mut pollflow, &mut moto] {
        let common = &mut result["common"];
        common["errors"]
            .as_object_mut()
            .unwrap()
            .remove("an invalid definition");
        for field in ["error", "cause"] {
            common["stopped"].as_object_mut().unwrap().remove(field);
        }
    }
    assert_eq!(pollflow["common"], moto["common"]);
    // The scenarios ran: every one has a history, and they are not all alike.
    let map = &pollflow["common"]["map"]["history"];
    assert!(map
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "MapIterationSucceeded"));
}
