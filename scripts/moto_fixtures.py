#!/usr/bin/env python3
"""Create the AWS fixtures pollflow's integration tests expect on a moto server.

Usage: moto_fixtures.py ENDPOINT      (e.g. http://127.0.0.1:5000)

Prints KEY=VALUE lines on stdout (consumed by scripts/moto-server.sh, which turns them
into `export` lines); logs go to stderr. Safe to re-run against the same server (existing
resources are reused) and MUST be re-run after POST /moto-api/reset, which wipes all
resources (the /moto-api/config use_docker=false setting survives a reset; it is re-sent
anyway). After a reset every ARN/URL comes back identical except the subscription ARN.

Created:
  * Batch config: {"batch": {"use_docker": false}} -> SubmitJob marks the job SUCCEEDED
    synchronously (never SUBMITTED/RUNNABLE/RUNNING). Start the server with
    MOTO_SIMPLE_BATCH_FAIL_AFTER=N to make every job FAILED instead (SubmitJob then blocks
    N seconds). With use_docker=true and no Docker daemon, jobs go SUBMITTED -> RUNNABLE
    -> FAILED within ~0.2 s.
  * Step Functions config: {"stepfunctions": {"execute_state_machine": true}} -> moto runs
    executions with its own engine (a port of LocalStack's) instead of a canned history.
  * IAM role `pollflow-batch-service-role` (Batch service role ARN; any role ARN does for
    moto's state machines).
  * UNMANAGED Batch compute environment `pollflow-ce`, job queue `pollflow-queue`,
    container job definition `pollflow-job` (busybox, ["echo", "hello"]).
  * SNS topic `pollflow-topic` and SQS queue `pollflow-notifications` subscribed to it
    with RawMessageDelivery OFF, so each SQS message body is the SNS JSON envelope
    (moto pretty-prints it with indent=2 and sorted keys; parse it, don't string-match):
      {"Message": "<published message, verbatim string>",
       "MessageAttributes": {"kind": {"Type": "String", "Value": "batch"},
                             "n": {"Type": "Number", "Value": "3"},
                             "b": {"Type": "Binary", "Value": "<base64>"}},
       "MessageId": "<uuid>", "Signature": "...", "SignatureVersion": "2",
       "SigningCertURL": "...", "Subject": "<subject>",
       "Timestamp": "2026-11-22T23:27:20.600Z", "TopicArn": "...",
       "Type": "Notification", "UnsubscribeURL": "..."}
    "Subject" / "MessageAttributes" are omitted when not given on Publish. The SQS
    message itself carries no MessageAttributes (they are only inside the body).
"""

import json
import os
import sys
import time
import urllib.request

import boto3
from botocore.config import Config

REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
ROLE_NAME = "pollflow-batch-service-role"
CE_NAME = "pollflow-ce"
QUEUE_NAME = "pollflow-queue"
JOB_DEF_NAME = "pollflow-job"
TOPIC_NAME = "pollflow-topic"
SQS_QUEUE_NAME = "pollflow-notifications"


def log(msg):
    print(f"moto_fixtures: {msg}", file=sys.stderr)


def set_moto_config(endpoint, config):
    req = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        data=json.dumps(config).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    endpoint = sys.argv[1].rstrip("/")

    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        region_name=REGION,
    )
    cfg = Config(retries={"max_attempts": 2})

    def client(name):
        return session.client(name, endpoint_url=endpoint, config=cfg)

    set_moto_config(endpoint, {"batch": {"use_docker": False}})
    set_moto_config(endpoint, {"stepfunctions": {"execute_state_machine": True}})

    iam = client("iam")
    try:
        role_arn = iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role_arn = iam.create_role(
            RoleName=ROLE_NAME,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "batch.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]

    batch = client("batch")
    ces = batch.describe_compute_environments(computeEnvironments=[CE_NAME])["computeEnvironments"]
    if ces:
        ce_arn = ces[0]["computeEnvironmentArn"]
    else:
        ce_arn = batch.create_compute_environment(
            computeEnvironmentName=CE_NAME,
            type="UNMANAGED",
            state="ENABLED",
            serviceRole=role_arn,
        )["computeEnvironmentArn"]

    queues = batch.describe_job_queues(jobQueues=[QUEUE_NAME])["jobQueues"]
    if queues:
        queue_arn = queues[0]["jobQueueArn"]
    else:
        queue_arn = batch.create_job_queue(
            jobQueueName=QUEUE_NAME,
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce_arn}],
        )["jobQueueArn"]

    defs = batch.describe_job_definitions(jobDefinitionName=JOB_DEF_NAME, status="ACTIVE")["jobDefinitions"]
    if defs:
        job_def_arn = max(defs, key=lambda d: d["revision"])["jobDefinitionArn"]
    else:
        job_def_arn = batch.register_job_definition(
            jobDefinitionName=JOB_DEF_NAME,
            type="container",
            containerProperties={
                "image": "busybox",
                "command": ["echo", "hello"],
                "resourceRequirements": [
                    {"type": "VCPU", "value": "1"},
                    {"type": "MEMORY", "value": "128"},
                ],
            },
        )["jobDefinitionArn"]

    sns = client("sns")
    sqs = client("sqs")
    topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]  # idempotent
    queue_url = sqs.create_queue(QueueName=SQS_QUEUE_NAME)["QueueUrl"]  # idempotent
    sqs_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subs = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    sub = next((s for s in subs if s["Endpoint"] == sqs_arn), None)
    if sub:
        sub_arn = sub["SubscriptionArn"]
    else:
        sub_arn = sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=sqs_arn,
            Attributes={"RawMessageDelivery": "false"},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]

    out = {
        "MOTO_ROLE_ARN": role_arn,
        "MOTO_COMPUTE_ENVIRONMENT": ce_arn,
        "MOTO_JOB_QUEUE": queue_arn,
        "MOTO_JOB_QUEUE_NAME": QUEUE_NAME,
        "MOTO_JOB_DEFINITION": job_def_arn,
        "MOTO_JOB_DEFINITION_NAME": JOB_DEF_NAME,
        "MOTO_TOPIC_ARN": topic_arn,
        "MOTO_SQS_QUEUE_URL": queue_url,
        "MOTO_SQS_QUEUE_ARN": sqs_arn,
        "MOTO_SUBSCRIPTION_ARN": sub_arn,
    }
    for k, v in out.items():
        print(f"{k}={v}")
    log("fixtures ready")


if __name__ == "__main__":
    t0 = time.monotonic()
    main()
    log(f"done in {time.monotonic() - t0:.2f}s")
