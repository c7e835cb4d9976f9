//! An execution's history, polled and read as a stream of pollflow events.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_sfn::types::HistoryEvent;
use aws_sdk_sfn::Client;
use futures::future::BoxFuture;
use futures::{FutureExt, Stream};
use pollflow::policy::Rng;
use pollflow::{Event, Outcome, WaitPolicy};
use serde_json::Value;

use super::history::HistoryReader;
use super::SfnError;

/// The most events one `GetExecutionHistory` page holds.
const PAGE_SIZE: i32 = 1000;
/// Transient failures in a row after which the stream gives up (with the default policy,
/// after about half a minute).
const MAX_FAILURES: u32 = 10;

/// The events of a Step Functions execution, as the [`Event`]s a local
/// [`Run`](pollflow::Run) yields: code that watches a local run watches a cloud run unchanged.
/// The stream ends after the terminal event ([`finished`](Self::finished) then says how the
/// execution ended), or at an error that retrying does not mend ([`error`](Self::error)).
///
/// It polls `GetExecutionHistory` (newest first, paginated, down to the last event it has
/// read), waiting between polls as its [`WaitPolicy`] says: from the first attempt after each
/// poll that brought news, so a busy execution is read promptly and an idle one ever less
/// often. Transient failures (throttling, a server fault) wait the same way, ten in a row at
/// the most.
///
/// Events carry what the history names: states entered and exited (with their routes
/// through Parallel branches and Map items), task results and failures, Map items' starts
/// and ends, Parallel branches' starts, and the execution's own. What only a local run knows
/// (wait delays, checks, Choice decisions) is not there.
///
/// **Dropping the events of an execution you started before it ends stops it**
/// ([`StepFunctions::start`](super::StepFunctions::start): `StopExecution`, in a task on the
/// current tokio runtime), as dropping a local run does, also when they end at an error;
/// [`keep_running`](Self::keep_running) watches without that. The events of an execution
/// given by ARN ([`StepFunctions::events`](super::StepFunctions::events)) only watch it.
#[must_use = "streams do nothing unless polled"]
pub struct ExecutionEvents {
    client: Client,
    arn: String,
    policy: WaitPolicy,
    rng: Rng,
    reader: Option<HistoryReader>,
    /// The id of the newest Step Functions event read.
    last_read: i64,
    /// Polls since the last one that brought news (from 1).
    attempt: u32,
    /// Transient failures in a row.
    failures: u32,
    buffer: VecDeque<Event>,
    step: Step,
    finished: Option<Outcome>,
    error: Option<SfnError>,
    stop_on_drop: bool,
}

enum Step {
    Fetch(BoxFuture<'static, Result<Page, SfnError>>),
    Sleep(Pin<Box<tokio::time::Sleep>>),
    Done,
}

/// One poll's answer: the definition (on the first), and the events after the last read.
struct Page {
    definition: Option<Value>,
    events: Vec<HistoryEvent>,
}

impl ExecutionEvents {
    pub(super) fn new(client: Client, arn: String, stop_on_drop: bool) -> Self {
        let step = Step::Fetch(fetch(client.clone(), arn.clone(), 0, true).boxed());
        Self {
            client,
            arn,
            policy: WaitPolicy::exponential(Duration::from_millis(200), Duration::from_secs(5)),
            rng: Rng::seeded(getrandom::u64().unwrap_or(0x5eed)),
            reader: None,
            last_read: 0,
            attempt: 0,
            failures: 0,
            buffer: VecDeque::new(),
            step,
            finished: None,
            error: None,
            stop_on_drop,
        }
    }

    /// Waits between polls as `policy` says (default: [`WaitPolicy::exponential`] from
    /// 200 ms to 5 s). Its attempt count starts again after each poll that brings news.
    pub fn with_policy(mut self, policy: WaitPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Dropping the stream leaves the execution running.
    pub fn keep_running(mut self) -> Self {
        self.stop_on_drop = false;
        self
    }

    /// The execution's ARN.
    pub fn execution_arn(&self) -> &str {
        &self.arn
    }

    /// How the execution ended, once the stream has read its terminal event.
    pub fn finished(&self) -> Option<&Outcome> {
        self.finished.as_ref()
    }

    /// Why the stream ended without a terminal event: a failure that is not transient (no
    /// such execution, no permission), or ten transient ones in a row.
    pub fn error(&self) -> Option<&SfnError> {
        self.error.as_ref()
    }

    /// Stops the execution now (`StopExecution`, with `cause`) and ends the stream.
    ///
    /// # Errors
    /// The service refused it or did not answer.
    pub async fn stop(mut self, cause: &str) -> Result<(), SfnError> {
        self.stop_on_drop = false;
        stop(&self.client, &self.arn, cause).await
    }

    fn read(&mut self, page: Page) {
        if let Some(definition) = page.definition {
            self.reader = Some(HistoryReader::new(&definition));
        }
        let reader = self
            .reader
            .get_or_insert_with(|| HistoryReader::new(&Value::Null));
        self.attempt = if page.events.is_empty() {
            self.attempt + 1
        } else {
            1
        };
        for event in &page.events {
            self.last_read = event.id();
            for event in reader.read(event) {
                if let Some(outcome) = Outcome::from_terminal(&event.kind) {
                    self.finished = Some(outcome);
                }
                self.buffer.push_back(event);
            }
        }
    }

    fn pause(&mut self) -> Step {
        let delay = self
            .policy
            .backoff_delay(self.attempt.max(1), &mut self.rng);
        Step::Sleep(Box::pin(tokio::time::sleep(delay)))
    }
}

impl Stream for ExecutionEvents {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let this = self.get_mut();
        loop {
            if let Some(event) = this.buffer.pop_front() {
                return Poll::Ready(Some(event));
            }
            match &mut this.step {
                Step::Done => return Poll::Ready(None),
                Step::Sleep(sleep) => {
                    std::task::ready!(sleep.as_mut().poll(cx));
                    let fetch = fetch(
                        this.client.clone(),
                        this.arn.clone(),
                        this.last_read,
                        this.reader.is_none(),
                    );
                    this.step = Step::Fetch(fetch.boxed());
                }
                Step::Fetch(fetch) => {
                    let answer = std::task::ready!(fetch.as_mut().poll(cx));
                    this.step = match answer {
                        Ok(page) => {
                            this.failures = 0;
                            this.read(page);
                            if this.finished.is_some() {
                                Step::Done
                            } else {
                                this.pause()
                            }
                        }
                        Err(e) if e.is_transient() && this.failures + 1 < MAX_FAILURES => {
                            this.failures += 1;
                            this.attempt += 1;
                            this.pause()
                        }
                        Err(e) => {
                            this.error = Some(e);
                            Step::Done
                        }
                    };
                }
            }
        }
    }
}

impl Drop for ExecutionEvents {
    fn drop(&mut self) {
        if self.stop_on_drop && self.finished.is_none() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let (client, arn) = (self.client.clone(), self.arn.clone());
                runtime.spawn(async move {
                    let _ = stop(&client, &arn, "pollflow: the event stream was dropped").await;
                });
            }
        }
    }
}

impl std::fmt::Debug for ExecutionEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionEvents")
            .field("arn", &self.arn)
            .field("last_read", &self.last_read)
            .field("finished", &self.finished)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// `StopExecution`.
pub(super) async fn stop(client: &Client, arn: &str, cause: &str) -> Result<(), SfnError> {
    client
        .stop_execution()
        .execution_arn(arn)
        .cause(cause)
        .send()
        .await
        .map_err(|e| SfnError::from_sdk(&format!("stopping {arn}"), &e))?;
    Ok(())
}

/// The events after `last_read`, oldest first, and the definition when `with_definition`.
///
/// Pages are read newest first and stop at the first page that reaches `last_read`, so a
/// long history is read once. (A server that ignores `reverseOrder` and answers oldest first,
/// as moto does, is read to its last page; sorting and filtering by id give the same events.)
async fn fetch(
    client: Client,
    arn: String,
    last_read: i64,
    with_definition: bool,
) -> Result<Page, SfnError> {
    let definition = if with_definition {
        let described = client
            .describe_state_machine_for_execution()
            .execution_arn(&arn)
            .send()
            .await
            .map_err(|e| SfnError::from_sdk(&format!("describing {arn}"), &e))?;
        serde_json::from_str(described.definition()).ok()
    } else {
        None
    };
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .get_execution_history()
            .execution_arn(&arn)
            .reverse_order(true)
            .max_results(PAGE_SIZE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| SfnError::from_sdk(&format!("reading the history of {arn}"), &e))?;
        let ids: Vec<i64> = page.events().iter().map(HistoryEvent::id).collect();
        let newest_first = ids.windows(2).all(|pair| pair[0] > pair[1]);
        let reached = newest_first && ids.last().is_some_and(|&oldest| oldest <= last_read);
        events.extend(page.events().iter().filter(|e| e.id() > last_read).cloned());
        token = page.next_token().map(str::to_owned);
        if reached || token.is_none() {
            break;
        }
    }
    events.sort_by_key(HistoryEvent::id);
    events.dedup_by_key(|e| e.id());
    Ok(Page { definition, events })
}
