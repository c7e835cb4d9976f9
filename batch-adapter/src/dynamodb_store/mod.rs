//! [`DynamoDbStore`]: runs kept in a DynamoDB table and shared by a fleet of instances, each
//! run owned by one instance at a time through a lease (feature `aws`).
//!
//! See docs/durability.md ("Runs shared by a fleet") for the protocol and what it leaves open.

mod items;
mod lease;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use futures::channel::oneshot;
use futures::future::{BoxFuture, FutureExt, Shared};
use pollflow::store::{Saved, Store, StoreError};
use pollflow::{Checkpoint, Outcome};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use items::{Item, BEAT, CHECKPOINT, FINISHED, OUTCOME, OWNER, PK, WORKFLOW};
use lease::{Lease, Observations};

/// The shortest lease: shorter than a few network round trips, no beat could keep it.
const MIN_LEASE: Duration = Duration::from_millis(100);

/// Runs in one DynamoDB table, shared by a fleet of stateless instances: each run is owned by
/// one instance at a time, through a lease that another instance takes over once it lapses
/// (the pattern of the Kinesis Client Library).
///
/// - Every store has a random owner id ([`DynamoDbStore::owner`]) and beats: it increments its
///   owner item's `beat` every lease/3 (a fixed rate; a beat never sets the count back).
/// - A save or finish writes the run's item only if the run is new or this instance owns it
///   (a conditional write); a run owned by another instance fails with a [`StoreError`]
///   saying so. Writes of one run are made one after the other, in the order they were asked.
/// - [`Store::unfinished`] (what [`Engine::recover`](pollflow::Engine::recover) calls)
///   *claims*: it returns the unfinished runs of owners whose beat this instance has seen
///   unchanged for a full lease (on its own clock), each taken over with a conditional write.
///   Runs this instance owns already are not returned: they run here. The first calls after
///   start-up return nothing, so a fleet instance calls `recover` periodically (every
///   lease/2, say) and drives what it returns.
/// - An instance that could not renew its beat for lease − lease/4 stops acting for its runs:
///   [`Store::holds`] turns `false` for good, every write fails, and the engine's runs make
///   no more calls (each fails with `Pollflow.StoreFailed`). Its runs stay unfinished in the
///   table for another instance to take over; this instance needs a new store (a new owner)
///   to work again.
///
/// The store needs a tokio runtime (its writes and beats are tasks on the runtime it was made
/// on). Dropping it stops the beat; its runs are taken over a lease later.
///
/// ```no_run
/// use std::time::Duration;
/// use pollflow::{Engine, TokioClock};
/// use pollflow_batch::aws::{load_config, AwsBatch};
/// use pollflow_batch::{BatchPoller, DynamoDbStore};
/// # use pollflow::{workflow::Choice, WaitPolicy, Workflow};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// # let workflow = Workflow::builder("Job Poller").submit("Submit Job")
/// #     .wait("Wait", WaitPolicy::fixed(Duration::from_secs(10)))
/// #     .check("Check").branch("Done?", Choice::new()).build()?;
/// let config = load_config(None).await;
/// DynamoDbStore::create_table(&config, "pollflow-runs").await?; // once (tests, local use)
/// let store = DynamoDbStore::new(&config, "pollflow-runs", Duration::from_secs(30)).await?;
/// println!("instance {}", store.owner());
/// let engine = Engine::builder(workflow, BatchPoller::new(AwsBatch::new(&config)), TokioClock::new())
///     .store(store)
///     .build();
/// // Take over the runs of instances that stopped beating, every half lease, for good.
/// let recovering = engine.clone();
/// tokio::spawn(async move {
///     loop {
///         for run in recovering.recover().await.unwrap_or_default() {
///             tokio::spawn(run.outcome());
///         }
///         tokio::time::sleep(Duration::from_secs(15)).await;
///     }
/// });
/// # Ok(()) }
/// ```
pub struct DynamoDbStore {
    shared: Arc<Inner>,
    beating: JoinHandle<()>,
}

struct Inner {
    client: Client,
    table: String,
    owner: String,
    lease: Lease,
    seen: Observations,
    runtime: Handle,
    /// The last write asked of each run, to chain the next one after it.
    writes: Mutex<HashMap<String, (u64, Done)>>,
    tickets: AtomicU64,
    /// Runs this instance owns that run here: started here, or returned by `unfinished`.
    live: Mutex<HashSet<String>>,
}

/// Resolves once a write has been made (or has failed).
type Done = Shared<BoxFuture<'static, ()>>;

/// What a write sets besides the checkpoint.
enum Write {
    Save,
    Finish { outcome: String },
}

impl DynamoDbStore {
    /// A store on `table` (see [`DynamoDbStore::create_table`]) with AWS configuration
    /// `config` (see [`load_config`](crate::aws::load_config)), whose runs are owned through
    /// leases of `lease`. It writes its first beat before it returns.
    ///
    /// # Errors
    /// The lease is shorter than 100 ms, no random owner id could be drawn, or the first beat
    /// could not be written (no such table, no access, no connection).
    pub async fn new(
        config: &aws_config::SdkConfig,
        table: impl Into<String>,
        lease: Duration,
    ) -> Result<Self, StoreError> {
        Self::from_client(Client::new(config), table, lease).await
    }

    /// [`DynamoDbStore::new`] with a ready SDK client (its own retry, timeout or endpoint
    /// settings).
    ///
    /// # Errors
    /// As [`DynamoDbStore::new`].
    pub async fn from_client(
        client: Client,
        table: impl Into<String>,
        lease: Duration,
    ) -> Result<Self, StoreError> {
        if lease < MIN_LEASE {
            return Err(StoreError::new(format!(
                "dynamodb store: a lease of {lease:?} is too short (at least {MIN_LEASE:?})"
            )));
        }
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| {
            StoreError::new(format!(
                "dynamodb store: cannot draw a random owner id: {e}"
            ))
        })?;
        let runtime = Handle::try_current().map_err(|_| {
            StoreError::new(
                "dynamodb store: must be made on a tokio runtime (its writes run there)",
            )
        })?;
        let inner = Arc::new(Inner {
            client,
            table: table.into(),
            owner: id.iter().map(|b| format!("{b:02x}")).collect(),
            lease: Lease::new(lease, Instant::now()),
            seen: Observations::default(),
            runtime: runtime.clone(),
            writes: Mutex::default(),
            tickets: AtomicU64::new(0),
            live: Mutex::default(),
        });
        if !inner.beat(1).await? {
            return Err(StoreError::new(format!(
                "dynamodb store: owner {} already has a beat (a random id drawn twice?)",
                inner.owner
            )));
        }
        let beating = runtime.spawn(beat(Arc::downgrade(&inner)));
        Ok(Self {
            shared: inner,
            beating,
        })
    }

    /// This instance's owner id (32 hex digits): the `owner` of the runs it holds, and its
    /// owner item `owner#<id>`.
    pub fn owner(&self) -> &str {
        &self.shared.owner
    }

    /// How long a lease lasts.
    pub fn lease(&self) -> Duration {
        self.shared.lease.duration()
    }

    /// Resolves once every write asked so far has been made (or has failed). The saves a run
    /// makes after its events are not waited for: a process that exits on its own calls this
    /// first, so that its runs' last saves and outcomes land (keep an `Arc` of the store to
    /// call it after giving the engine one).
    pub async fn flush(&self) {
        let pending: Vec<Done> = lock(&self.shared.writes)
            .values()
            .map(|(_, done)| done.clone())
            .collect();
        futures::future::join_all(pending).await;
    }

    /// Creates `table` (partition key `pk`, a string; on-demand billing) unless it exists, and
    /// waits until it is active. For tests and local use: production tables are better made
    /// with the rest of the infrastructure.
    ///
    /// # Errors
    /// The table could not be created or described.
    pub async fn create_table(
        config: &aws_config::SdkConfig,
        table: &str,
    ) -> Result<(), StoreError> {
        let client = Client::new(config);
        let attribute = AttributeDefinition::builder()
            .attribute_name(PK)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| StoreError::new("dynamodb store: the key attribute").with_source(e))?;
        let key = KeySchemaElement::builder()
            .attribute_name(PK)
            .key_type(KeyType::Hash)
            .build()
            .map_err(|e| StoreError::new("dynamodb store: the key schema").with_source(e))?;
        let created = client
            .create_table()
            .table_name(table)
            .attribute_definitions(attribute)
            .key_schema(key)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        if let Err(e) = created {
            let exists = e
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception());
            if !exists {
                return Err(sdk_error(&format!("creating table {table}"), &e));
            }
        }
        for _ in 0..300 {
            let described = client
                .describe_table()
                .table_name(table)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("describing table {table}"), &e))?;
            let status = described.table().and_then(|t| t.table_status());
            if status.is_some_and(|s| s.as_str() == "ACTIVE") {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(StoreError::new(format!(
            "dynamodb store: table {table} did not become active within a minute"
        )))
    }
}

impl Drop for DynamoDbStore {
    fn drop(&mut self) {
        self.shared.lease.give_up();
        self.beating.abort();
    }
}

/// The beat: every lease/3 (a fixed rate, whatever the answers take), writes the next beat
/// number to the owner item, until the lease lapses or the store is dropped. Beats may
/// overlap; each gets until lease − margin, and renews the lease from when it was sent.
async fn beat(inner: std::sync::Weak<Inner>) {
    let Some(every) = inner.upgrade().map(|inner| inner.lease.beat_every()) else {
        return;
    };
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut beat = 1u64;
    loop {
        ticks.tick().await;
        let Some(strong) = inner.upgrade() else {
            return;
        };
        if !strong.lease.holds() {
            return; // lapsed for good: stop beating, so that others take over
        }
        beat += 1;
        let sent = Instant::now();
        let patience = strong.lease.duration() - strong.lease.margin();
        let weak = inner.clone();
        strong.runtime.spawn(async move {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            // A failed beat is made up by the next one; the lease decides when it is too late.
            if let Ok(Ok(true)) = tokio::time::timeout(patience, inner.beat(beat)).await {
                inner.lease.renewed(sent);
            }
        });
    }
}

impl Inner {
    /// Writes `beat` to this owner's item unless a later beat is there already (beats may
    /// overlap, and a late one must not set the count back: an observer would take a count
    /// it saw before for one that never changed). Whether it was written.
    async fn beat(&self, beat: u64) -> Result<bool, StoreError> {
        let written = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, items::owner_key(&self.owner))
            .update_expression("SET #beat = :beat")
            .condition_expression("attribute_not_exists(#beat) OR #beat < :beat")
            .set_expression_attribute_names(items::names(&[BEAT]))
            .expression_attribute_values(":beat", AttributeValue::N(beat.to_string()))
            .send()
            .await;
        match written {
            Ok(_) => Ok(true),
            Err(e) if owned_by(&e).is_some() => Ok(false),
            Err(e) => Err(sdk_error("writing this instance's beat", &e)),
        }
    }

    fn lapsed() -> StoreError {
        StoreError::new(
            "dynamodb store: this instance's lease on its runs lapsed; another instance \
             continues them",
        )
    }

    /// Writes run `run`'s item, if it is new or this instance owns it.
    async fn write(
        &self,
        run: &str,
        workflow: &str,
        checkpoint: String,
        write: Write,
    ) -> Result<(), StoreError> {
        if !self.lease.holds() {
            return Err(Self::lapsed());
        }
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, items::run_key(run))
            .condition_expression("attribute_not_exists(#pk) OR #owner = :me")
            .expression_attribute_values(":me", items::text(&self.owner))
            .expression_attribute_values(":workflow", items::text(workflow))
            .expression_attribute_values(":checkpoint", items::text(checkpoint))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        update = match write {
            Write::Save => update
                .update_expression(
                    "SET #workflow = :workflow, #checkpoint = :checkpoint, #owner = :me, \
                     #finished = if_not_exists(#finished, :false)",
                )
                .set_expression_attribute_names(items::names(&[
                    PK, WORKFLOW, CHECKPOINT, OWNER, FINISHED,
                ]))
                .expression_attribute_values(":false", AttributeValue::Bool(false)),
            Write::Finish { outcome } => update
                .update_expression(
                    "SET #workflow = :workflow, #checkpoint = :checkpoint, #owner = :me, \
                     #finished = :true, #outcome = :outcome",
                )
                .set_expression_attribute_names(items::names(&[
                    PK, WORKFLOW, CHECKPOINT, OWNER, FINISHED, OUTCOME,
                ]))
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .expression_attribute_values(":outcome", items::text(outcome)),
        };
        match update.send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(match owned_by(&e) {
                Some(other) => StoreError::new(format!(
                    "dynamodb store: run {run} is owned by another instance ({other}); this \
                     one no longer acts for it"
                )),
                None => sdk_error(&format!("saving run {run}"), &e),
            }),
        }
    }

    /// Queues a write of run `run` after the last one asked of it, on the store's runtime.
    fn queue(
        self: &Arc<Self>,
        run: &str,
        workflow: &str,
        checkpoint: String,
        write: Write,
    ) -> Saved {
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        let (finished, done) = oneshot::channel::<()>();
        let done: Done = done.map(|_| ()).boxed().shared();
        let before = lock(&self.writes)
            .insert(run.to_owned(), (ticket, done))
            .map(|(_, before)| before);
        let (answer, answered) = oneshot::channel();
        let inner = Arc::clone(self);
        let (run, workflow) = (run.to_owned(), workflow.to_owned());
        self.runtime.spawn(async move {
            if let Some(before) = before {
                before.await;
            }
            let finishing = matches!(write, Write::Finish { .. });
            let result = inner.write(&run, &workflow, checkpoint, write).await;
            if finishing {
                // Finished, or (the write failed) handed back to `unfinished`, which returns
                // a run this instance owns but does not run.
                lock(&inner.live).remove(&run);
            }
            let _ = answer.send(result);
            drop(finished);
            let mut writes = lock(&inner.writes);
            if writes.get(&run).is_some_and(|(last, _)| *last == ticket) {
                writes.remove(&run);
            }
        });
        Box::pin(answered.map(|answer| {
            answer.unwrap_or_else(|_| {
                Err(StoreError::new(
                    "dynamodb store: the write was dropped (its runtime shut down)",
                ))
            })
        }))
    }

    /// Every unfinished run of `workflow` (a consistent Scan, filtered).
    async fn scan(&self, workflow: &str) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .filter_expression("#workflow = :workflow AND #finished = :false")
                .set_expression_attribute_names(items::names(&[WORKFLOW, FINISHED]))
                .expression_attribute_values(":workflow", items::text(workflow))
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("reading unfinished runs", &e))?;
            found.extend(page.items().iter().cloned());
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(found),
            }
        }
    }

    /// Whether `owner` has been seen at the same beat for a full lease.
    async fn expired(&self, owner: &str) -> Result<bool, StoreError> {
        let asked = Instant::now();
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, items::owner_key(owner))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("reading the beat of owner {owner}"), &e))?;
        let answered = Instant::now();
        let beat = items::beat(item.item())?;
        Ok(self
            .seen
            .expired(owner, beat, asked, answered, self.lease.duration()))
    }

    /// Takes run `run` over from `owner` (`None`: an item without an owner); its checkpoint
    /// as of the takeover, or `None` if another instance took it first or it finished.
    async fn claim(&self, run: &str, owner: Option<&str>) -> Result<Option<Item>, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, items::run_key(run))
            .update_expression("SET #owner = :me")
            .set_expression_attribute_names(items::names(&[OWNER, FINISHED]))
            .expression_attribute_values(":me", items::text(&self.owner))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .return_values(ReturnValue::AllNew);
        update = match owner {
            Some(owner) => update
                .condition_expression("#owner = :old AND #finished = :false")
                .expression_attribute_values(":old", items::text(owner)),
            None => {
                update.condition_expression("attribute_not_exists(#owner) AND #finished = :false")
            }
        };
        match update.send().await {
            Ok(taken) => Ok(taken.attributes().cloned()),
            Err(e) if owned_by(&e).is_some() => Ok(None),
            Err(e) => Err(sdk_error(&format!("taking run {run} over"), &e)),
        }
    }

    /// The unfinished runs of `workflow` this instance should run now: those it owns but does
    /// not run, and those it took over from owners whose lease lapsed. On an error, the runs
    /// it took are left to the next call (it owns them and does not run them).
    async fn take(&self, workflow: &str) -> Result<Vec<Checkpoint>, StoreError> {
        let mut taken = Vec::new();
        let result = self.take_into(workflow, &mut taken).await;
        let checkpoints = result.and_then(|()| {
            taken
                .iter()
                .map(|(_, item)| items::checkpoint(item))
                .collect::<Result<Vec<_>, _>>()
        });
        if checkpoints.is_err() {
            let mut live = lock(&self.live);
            for (run, _) in &taken {
                live.remove(run);
            }
        }
        checkpoints
    }

    /// [`Inner::take`]'s work: the runs to hand out, each marked as running here, into `taken`.
    async fn take_into(
        &self,
        workflow: &str,
        taken: &mut Vec<(String, Item)>,
    ) -> Result<(), StoreError> {
        if !self.lease.holds() {
            return Err(Self::lapsed());
        }
        // Unfinished runs not running here, by owner.
        let mut others: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
        for item in self.scan(workflow).await? {
            let Some(run) = items::run_id(&item).map(str::to_owned) else {
                continue; // not a run item
            };
            let owner = items::owner(&item);
            if owner == Some(&self.owner) && lock(&self.live).contains(&run) {
                continue; // it runs here
            }
            others
                .entry(owner.map(str::to_owned))
                .or_default()
                .push(run);
        }
        for (owner, runs) in others {
            if let Some(owner) = &owner {
                if *owner != self.owner && !self.expired(owner).await? {
                    continue;
                }
            }
            for run in runs {
                // Checked before each takeover: a store that lapsed takes nothing more.
                if !self.lease.holds() {
                    return Err(Self::lapsed());
                }
                // A claim even of a run owned here: the scan may predate a finish that landed
                // (and left `live`) since, and the claim reads the run afresh, if unfinished.
                if let Some(item) = self.claim(&run, owner.as_deref()).await? {
                    if lock(&self.live).insert(run.clone()) {
                        taken.push((run, item));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The owner of the item whose condition made a write fail (from the item DynamoDB returns
/// then; "unknown" without one). `None`: the write failed otherwise.
fn owned_by(
    e: &SdkError<UpdateItemError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Option<String> {
    match e.as_service_error()? {
        UpdateItemError::ConditionalCheckFailedException(failed) => Some(
            failed
                .item()
                .and_then(items::owner)
                .unwrap_or("unknown")
                .to_owned(),
        ),
        _ => None,
    }
}

fn sdk_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
    doing: &str,
    e: &SdkError<E, R>,
) -> StoreError {
    StoreError::new(format!(
        "dynamodb store: {doing}: {}",
        DisplayErrorContext(e)
    ))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Maps and sets whose every state is valid, whatever a panicking holder left.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store for DynamoDbStore {
    fn save(&self, run: &str, checkpoint: &Checkpoint) -> Saved {
        let text = match items::json(checkpoint, "a checkpoint") {
            Ok(text) => text,
            Err(e) => return Box::pin(futures::future::ready(Err(e))),
        };
        lock(&self.shared.live).insert(run.to_owned());
        self.shared
            .queue(run, checkpoint.workflow(), text, Write::Save)
    }

    fn finish(&self, run: &str, checkpoint: &Checkpoint, outcome: &Outcome) -> Saved {
        let texts = items::json(checkpoint, "a checkpoint")
            .and_then(|c| Ok((c, items::json(outcome, "an outcome")?)));
        let (text, outcome) = match texts {
            Ok(texts) => texts,
            Err(e) => return Box::pin(futures::future::ready(Err(e))),
        };
        self.shared
            .queue(run, checkpoint.workflow(), text, Write::Finish { outcome })
    }

    fn unfinished(
        &self,
        workflow: &str,
    ) -> pollflow::platform::BoxFuture<'static, Result<Vec<Checkpoint>, StoreError>> {
        let inner = Arc::clone(&self.shared);
        let workflow = workflow.to_owned();
        Box::pin(async move { inner.take(&workflow).await })
    }

    fn holds(&self) -> bool {
        self.shared.lease.holds()
    }
}
