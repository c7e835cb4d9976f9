"""A Step Functions client written with boto3, as users write them, for `pollflow serve`.

    python tests/serve/client.py ENDPOINT [--pollflow]

Runs the scenarios every Step Functions implementation should agree on (state machines of
Pass, Choice, Wait, Fail, Parallel and Map states; StopExecution; AWS's error names) and
prints what it saw as one JSON object, without names, ARNs or times, so that two servers'
answers compare equal (cli/tests/serve_clients.rs runs it against moto and pollflow serve).

With --pollflow it also checks what only pollflow serve has: the seed's Job Poller on a
MockConfigFile test case (tests/serve/job-poller.mock.json) and exits non-zero on a mismatch.
"""

import json
import sys
import time
import uuid

import boto3
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/pollflow"
RUN = uuid.uuid4().hex[:8]


def client(endpoint):
    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def create(sfn, name, definition):
    return sfn.create_state_machine(
        name=f"{name}-{RUN}", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]


def ended(sfn, arn):
    deadline = time.monotonic() + 30
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"{arn} still running")
        time.sleep(0.05)


def history(sfn, arn):
    events, token = [], None
    while True:
        page = sfn.get_execution_history(
            executionArn=arn, maxResults=4, **({"nextToken": token} if token else {})
        )
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def seen(event):
    """An event without its ids and time: its type and the state's name, input or output."""
    entry = {"type": event["type"]}
    entered = event.get("stateEnteredEventDetails")
    if entered:
        entry.update(name=entered["name"], input=json.loads(entered["input"]))
    exited = event.get("stateExitedEventDetails")
    if exited:
        entry.update(name=exited["name"], output=json.loads(exited["output"]))
    for key in ("executionFailedEventDetails", "executionAbortedEventDetails"):
        if key in event:
            entry.update(error=event[key].get("error"), cause=event[key].get("cause"))
    if "executionSucceededEventDetails" in event:
        entry["output"] = json.loads(event["executionSucceededEventDetails"]["output"])
    return entry


def outcome(sfn, arn):
    described = ended(sfn, arn)
    result = {"status": described["status"]}
    if "output" in described:
        result["output"] = json.loads(described["output"])
    for key in ("error", "cause"):
        if key in described:
            result[key] = described[key]
    result["history"] = [seen(e) for e in history(sfn, arn)]
    return result


def run(sfn, name, definition, execution_input):
    machine = create(sfn, name, definition)
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(execution_input))[
        "executionArn"
    ]
    return outcome(sfn, arn)


def error_name(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


SCENARIOS = {
    "pass-choice-succeed": (
        {
            "StartAt": "Add",
            "States": {
                "Add": {"Type": "Pass", "Result": {"n": 2}, "ResultPath": "$.added", "Next": "Big?"},
                "Big?": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.added.n", "NumericGreaterThan": 1, "Next": "Yes"}],
                    "Default": "No",
                },
                "Yes": {"Type": "Pass", "Parameters": {"big.$": "$.added.n"}, "Next": "Done"},
                "No": {"Type": "Fail", "Error": "Small"},
                "Done": {"Type": "Succeed"},
            },
        },
        {"order": 7},
    ),
    "wait-then-fail": (
        {
            "StartAt": "Pause",
            "States": {
                "Pause": {"Type": "Wait", "Seconds": 0, "Next": "Stop"},
                "Stop": {"Type": "Fail", "Error": "Job.Failed", "Cause": "it broke"},
            },
        },
        {"job": "x"},
    ),
    "parallel": (
        {
            "StartAt": "Both",
            "States": {
                "Both": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "Result": "l", "End": True}}},
                    ],
                    "ResultPath": "$.both",
                    "End": True,
                }
            },
        },
        {"k": 1},
    ),
    "map": (
        {
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "MaxConcurrency": 1,
                    "Iterator": {
                        "StartAt": "Double",
                        "States": {"Double": {"Type": "Pass", "Parameters": {"v.$": "$"}, "End": True}},
                    },
                    "End": True,
                }
            },
        },
        {"items": [1, 2]},
    ),
}


def common(sfn):
    """What every Step Functions implementation should answer alike."""
    results = {name: run(sfn, name, *scenario) for name, scenario in SCENARIOS.items()}

    waits = create(sfn, "waits", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
    started = sfn.start_execution(stateMachineArn=waits, name="once", input="{}")
    sfn.stop_execution(executionArn=started["executionArn"], error="Stopped.ByClient", cause="enough")
    stopped = ended(sfn, started["executionArn"])
    results["stopped"] = {k: stopped.get(k) for k in ("status", "error", "cause")}

    missing = waits.rsplit(":", 1)[0] + ":missing-" + RUN
    results["errors"] = {
        "describe a missing machine": error_name(sfn.describe_state_machine, stateMachineArn=missing),
        "a repeated name, other input": error_name(
            sfn.start_execution, stateMachineArn=waits, name="once", input='{"other": 1}'
        ),
        "describe a missing execution": error_name(
            sfn.describe_execution,
            executionArn=started["executionArn"].rsplit(":", 1)[0] + ":missing",
        ),
        "an invalid definition": error_name(
            sfn.create_state_machine, name=f"broken-{RUN}", definition='{"StartAt": "Nowhere", "States": {}}', roleArn=ROLE
        ),
    }
    return results


def pollflow_only(sfn):
    """The Job Poller on a mocked test case: RUNNING twice, then SUCCEEDED."""
    with open("examples/state-machines/job-poller.asl.json") as f:
        definition = json.load(f)
    machine = sfn.create_state_machine(
        name="JobPoller", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    arn = sfn.start_execution(
        stateMachineArn=machine + "#RunningTwiceThenSucceeded", input='{"wait_time": 1}'
    )["executionArn"]
    result = outcome(sfn, arn)
    assert result["status"] == "SUCCEEDED", result
    assert result["output"] == {"jobId": "job-42", "status": "SUCCEEDED"}, result
    checks = [e for e in result["history"] if e.get("name") == "Get Job Status" and "output" in e]
    assert [e["output"]["status"] for e in checks] == ["RUNNING", "RUNNING", "SUCCEEDED"], checks
    waits = [e for e in result["history"] if e["type"] == "WaitStateEntered"]
    assert len(waits) == 3 and waits[0]["input"] == {"wait_time": 1, "guid": "job-42"}, waits
    return {"job poller": result["status"]}


def main():
    endpoint = sys.argv[1]
    sfn = client(endpoint)
    results = {"common": common(sfn)}
    if "--pollflow" in sys.argv[2:]:
        results["pollflow"] = pollflow_only(sfn)
    print(json.dumps(results, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
