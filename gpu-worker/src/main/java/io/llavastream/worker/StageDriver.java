package io.llavastream.worker;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.stage.Finished;
import io.llavastream.stage.IsolatingMachine;
import io.llavastream.stage.StageMachine;
import io.llavastream.stage.StageResult;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link StageMachine} on Kafka, for every stage alike: consume (read_committed), decode, submit, step,
 * produce and commit in one transaction, dead-letter, back off.
 *
 * <ul>
 *   <li>A record that cannot be read (tombstone, not Avro, unknown schema id, ...) is dead-lettered with its
 *       reason; a registry that cannot be reached is transient: back off and read again, never dead-letter.</li>
 *   <li>Outputs are serialized and size-checked as each input finishes; one that cannot be published fails its
 *       own input (OUTPUT_ERROR, with the stage's failure outputs such as an ERROR answer).</li>
 *   <li>Each partition's outputs are released only for its contiguous finished prefix, together with the offset
 *       after it ({@link Ledger}), in one transaction with {@code sendOffsetsToTransaction} and the consumer's
 *       group metadata. A batch machine is stepped when full or when its first input has lingered
 *       {@code batch.linger.ms}; a continuous one (decode) on every loop while anything is in flight.</li>
 *   <li>A step that throws is isolated by {@link IsolatingMachine}: only the input that fails alone is
 *       dead-lettered (STAGE_ERROR).</li>
 *   <li>A failed transaction is aborted; the machine is reset and every partition rewound to its committed
 *       offset, then the worker backs off (exponentially) and goes on. When the broker refused the records
 *       themselves, each record of the release counts a failed attempt, transactions carry one record each until
 *       the culprit is found, and a record that failed {@code max.record.attempts} times is dead-lettered as
 *       REPEATED_FAILURE.</li>
 *   <li>Fatal errors (fenced by another process with the same transactional.id or group.instance.id, not
 *       authorized, unsupported, out-of-order sequence) stop the worker: {@link #run} throws.</li>
 *   <li>On a rebalance, the releasable work of revoked partitions is published first; their unfinished work is
 *       dropped (its new owner reads it again from the committed offset).</li>
 * </ul>
 *
 * <p>The machine's previews ({@link StageMachine#drainPreviews}: the decode stage's token deltas) are published after
 * every step by a {@link PreviewPublisher}, on a producer outside the transaction, best-effort; before each
 * transaction commits, the previews sent so far are awaited (at most {@code decode.stream.tokens.flush.timeout.ms}),
 * so an answer's final delta is in the log before the answer is visible. A preview never fails the stage.
 *
 * <p>Reads the machine's input topic (and whatever its {@link PartitionHook} reads: the vision worker's cache
 * restorer reads {@link Topics#VISION_FEATURES}); writes the machine's output topics, {@link Topics#DEAD_LETTERS}
 * and the previews' topic ({@link Topics#ANSWER_TOKENS}).
 * After each commit the machine is told which inputs' outputs are committed ({@link StageMachine#committed}).
 * {@link #run} blocks until {@link #stop} (from any thread, e.g. a shutdown hook), then closes both clients, the
 * machine and the model parts it was given.
 */
public final class StageDriver<I extends SpecificRecord> implements Worker {
    private static final Logger LOG = LoggerFactory.getLogger(StageDriver.class);

    private final IsolatingMachine<I> machine;
    private final String name;
    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final RecordReader<I> reader;
    private final OutputWriter writer;
    private final PreviewPublisher previews;
    private final Clock clock;
    private final long pollTimeoutMs;
    private final long lingerMs;
    private final Backoff backoff;
    private final Attempts attempts;
    private final AutoCloseable parts;
    private final PartitionHook hook;
    private final Ledger ledger = new Ledger();
    /** Decoded inputs waiting for room in the machine, in poll order. */
    private final ArrayDeque<RecordId> backlog = new ArrayDeque<>();
    private final WorkerStats stats = new WorkerStats();
    private volatile boolean stopping;
    private boolean inTransaction;
    private boolean needsRecovery;
    private boolean closing;
    private boolean fatal;
    private long firstSubmitMs;
    private final long commitIntervalMs;
    /** When the last transaction committed (or the driver started): the next is due commit.interval.ms after. */
    private long lastCommitMs;
    /** Whether some input finished since the last transaction: only then is a commit worth making. */
    private boolean finishedSinceCommit;

    /**
     * @param parts closed after the machine when {@link #run} ends: the model parts the machine was built from
     */
    StageDriver(StageMachine<I> machine, AutoCloseable parts, WorkerConfig config, SchemaRegistry registry,
                Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer, Clock clock) {
        this(machine, parts, PartitionHook.NONE, config, registry, consumer, producer, null, clock);
    }

    /**
     * @param parts closed after the machine when {@link #run} ends: the model parts the machine was built from
     * @param hook            told when input partitions come and go (before the first records of an assigned one are
     *                        polled); closed with the driver
     * @param previewProducer makes the previews' producer when the first preview comes (not transactional);
     *                        null = previews are dropped uncounted
     */
    StageDriver(StageMachine<I> machine, AutoCloseable parts, PartitionHook hook, WorkerConfig config,
                SchemaRegistry registry, Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer,
                Supplier<Producer<byte[], byte[]>> previewProducer, Clock clock) {
        this.hook = hook;
        this.machine = new IsolatingMachine<>(machine);
        this.name = machine.stage().id();
        this.parts = parts;
        this.consumer = consumer;
        this.producer = producer;
        this.reader = new RecordReader<>(machine.input(), registry);
        this.writer = new OutputWriter(registry, new DeadLetters(name, clock));
        this.previews = previewProducer == null ? PreviewPublisher.off(name, stats)
                : new PreviewPublisher(name, previewProducer, new OutputWriter(registry, new DeadLetters(name, clock)),
                        stats, clock, config.streamTokensFlushTimeoutMs());
        this.clock = clock;
        this.pollTimeoutMs = config.pollTimeoutMs();
        this.lingerMs = config.lingerMs();
        this.commitIntervalMs = config.commitIntervalMs();
        this.backoff = new Backoff(config.retryBackoffMs(), config.retryBackoffMaxMs());
        this.attempts = new Attempts(config.maxRecordAttempts());
    }

    /** A driver on real Kafka clients built from {@code config}; it closes {@code machine} and {@code parts}. */
    public static <I extends SpecificRecord> StageDriver<I> create(StageMachine<I> machine, AutoCloseable parts,
                                                                   WorkerConfig config, SchemaRegistry registry) {
        return create(machine, parts, PartitionHook.NONE, config, registry);
    }

    /** As {@link #create(StageMachine, AutoCloseable, WorkerConfig, SchemaRegistry)}, with a partition hook. */
    static <I extends SpecificRecord> StageDriver<I> create(StageMachine<I> machine, AutoCloseable parts,
                                                            PartitionHook hook, WorkerConfig config,
                                                            SchemaRegistry registry) {
        LOG.info("{}: consuming {} as group {}, transactional.id {}{}", machine.stage().id(),
                machine.input().name(), config.groupId(), config.transactionalId(),
                config.groupInstanceId().map(id -> ", group.instance.id " + id).orElse(""));
        Supplier<Producer<byte[], byte[]>> previews = config.streamTokens()
                ? () -> new KafkaProducer<>(config.previewProducerProperties()) : null;
        return new StageDriver<>(machine, parts, hook, config, registry,
                new KafkaConsumer<>(config.consumerProperties()),
                new KafkaProducer<>(config.producerProperties()), previews, Clock.systemUTC());
    }

    /**
     * Consumes, computes and commits until {@link #stop}; closes the clients, the machine and the parts on the way
     * out.
     *
     * @throws KafkaException a fatal error (fenced, not authorized, ...): the worker must exit non-zero
     */
    @Override
    public void run() {
        try {
            start();
            while (!stopping) {
                loop();
            }
        } catch (WakeupException | InterruptException e) {
            if (!stopping) {
                LOG.error("{}: interrupted while running: {}", name, e.toString());
                throw e;
            }
        } catch (RuntimeException e) {
            fatal = true;
            LOG.error("{}: stopping on a fatal error: {}", name, e.toString(), e);
            throw e;
        } finally {
            close();
        }
    }

    /** Asks {@link #run} to return: safe from any thread; a poll in progress is woken up. */
    @Override
    public void stop() {
        stopping = true;
        consumer.wakeup();
    }

    /** Binds the Kafka client metrics of this driver's consumer and producer (records-lag-max among them). */
    @Override
    public void bindTo(MeterRegistry registry) {
        new KafkaClientMetrics(consumer).bindTo(registry);
        new KafkaClientMetrics(producer).bindTo(registry);
        previews.onCreate(p -> new KafkaClientMetrics(p).bindTo(registry));  // the preview producer, once made
    }

    @Override
    public WorkerStats stats() {
        return stats;
    }

    void start() {
        initTransactions();
        consumer.subscribe(List.of(machine.input().name()), new Rebalance());
    }

    /** initTransactions, retried while it times out (the broker may still be starting). */
    private void initTransactions() {
        while (true) {
            try {
                producer.initTransactions();
                return;
            } catch (TimeoutException e) {
                LOG.warn("{}: initTransactions timed out, retrying: {}", name, e.toString());
                pause();
                if (stopping) {
                    throw new WakeupException();
                }
            }
        }
    }

    /** One pass: admit polled records, step the machine when due, publish what is releasable. */
    void loop() {
        if (needsRecovery) {
            recover();
            return;
        }
        try {
            admitBacklog();
            if (backlog.isEmpty() && machine.inFlight() < machine.capacity()) {
                admit(consumer.poll(Duration.ofMillis(pollTimeoutMs())));
                if (needsRecovery) {  // a publish before a revocation failed: start over from the commits
                    return;
                }
            }
            stepIfDue();
            if (commitDue()) {
                publish();
            }
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (RuntimeException e) {
            if (Fatal.is(e)) {
                throw e;
            }
            LOG.warn("{}: {}; rewinding to the committed offsets and backing off", name, e.toString());
            recoverAfter(e);
        } finally {
            stats.inFlight(ledger.size());
            stats.queues(machine.inFlight(), backlog.size());
        }
    }

    /** Whether finished work waits and commit.interval.ms has passed since the last transaction. */
    private boolean commitDue() {
        return finishedSinceCommit && (clock.millis() - lastCommitMs >= commitIntervalMs || attempts.careful());
    }

    private long pollTimeoutMs() {
        long now = clock.millis();
        long timeout = pollTimeoutMs;
        if (finishedSinceCommit) {  // wake up when the next transaction is due
            timeout = Math.min(timeout, Math.max(0, lastCommitMs + commitIntervalMs - now));
        }
        if (machine.inFlight() == 0) {
            return timeout;
        }
        return machine.continuous() ? 0 : Math.max(0, Math.min(timeout, firstSubmitMs + lingerMs - now));
    }

    /** Tracks every polled record first, so that a failure half-way still rewinds to all of them. */
    private void admit(Iterable<ConsumerRecord<byte[], byte[]>> records) {
        List<ConsumerRecord<byte[], byte[]>> fresh = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (ledger.start(r)) {
                fresh.add(r);
            }
        }
        stats.inFlight(ledger.size());  // now, not after the step: a crash during the step would redo these
        for (ConsumerRecord<byte[], byte[]> r : fresh) {
            admit(r);
        }
        admitBacklog();
    }

    private void admit(ConsumerRecord<byte[], byte[]> r) {
        RecordId id = RecordId.of(r);
        RecordReader.Read<I> read = reader.read(r);
        if (!read.ok()) {
            LOG.warn("{}: dead-lettering {}: {} {}", name, id, read.refusal(), read.message());
            finish(id, null, StageResult.failed(read.refusal(), read.message(), List.of()));
            return;
        }
        ledger.slot(id).input = read.value();
        if (attempts.exhausted(id)) {
            String message = "failed " + attempts.failures(id) + " times in a row, last: " + attempts.lastError(id);
            LOG.warn("{}: dead-lettering {}: {}", name, id, message);
            finish(id, read.value(), machine.failed(read.value(), DeadLetterReason.REPEATED_FAILURE, message));
            return;
        }
        backlog.add(id);
    }

    /** Submits waiting inputs while the machine has room. */
    @SuppressWarnings("unchecked")
    private void admitBacklog() {
        while (!backlog.isEmpty() && machine.inFlight() < machine.capacity()) {
            RecordId id = backlog.poll();
            Ledger.Slot slot = ledger.slot(id);
            if (slot == null) {
                continue;
            }
            if (machine.inFlight() == 0) {
                firstSubmitMs = clock.millis();
            }
            stats.events().queued(Math.max(0, clock.millis() - slot.record.timestamp()));
            machine.submit(id, (I) slot.input);
        }
    }

    private void stepIfDue() {
        int n = machine.inFlight();
        if (n == 0) {
            return;
        }
        if (machine.continuous() || n >= machine.capacity() || clock.millis() - firstSubmitMs >= lingerMs) {
            long t0 = System.nanoTime();
            List<Finished> finished = machine.step();
            stats.events().stepped(n, System.nanoTime() - t0);
            previews.send(machine.drainPreviews());
            for (Finished f : finished) {
                RecordId id = (RecordId) f.tag();
                Ledger.Slot slot = ledger.slot(id);
                if (slot != null) {
                    finish(id, slot.input, f.result());
                }
            }
            admitBacklog();
        }
    }

    /** Serializes a finished input's outputs, and its dead letter if it failed, into its ledger slot. */
    @SuppressWarnings("unchecked")
    private void finish(RecordId id, SpecificRecord input, StageResult result) {
        Ledger.Slot slot = ledger.slot(id);
        StageResult r = result;
        List<ProducerRecord<byte[], byte[]>> out;
        try {
            out = new ArrayList<>(writer.serialize(r.outputs()));
        } catch (OutputWriter.OutputException e) {
            LOG.warn("{}: the outputs of {} cannot be published: {}", name, id, e.getMessage());
            r = input == null ? StageResult.failed(DeadLetterReason.OUTPUT_ERROR, e.getMessage(), List.of())
                    : machine.failed((I) input, DeadLetterReason.OUTPUT_ERROR, e.getMessage());
            out = new ArrayList<>(serializeOrNothing(r));
        }
        stats.events().finished(input, r);
        if (r.failure().isPresent()) {
            StageResult.Failure f = r.failure().get();
            out.add(writer.deadLetter(slot.record, f.reason(), f.message()));
            stats.deadLettered(f.reason());
        }
        ledger.finish(id, out, r.isFailure());
        finishedSinceCommit = true;
    }

    private List<ProducerRecord<byte[], byte[]>> serializeOrNothing(StageResult r) {
        try {
            return writer.serialize(r.outputs());
        } catch (OutputWriter.OutputException e) {
            return List.of();
        }
    }

    /** Publishes the releasable prefix and its offsets in one transaction. */
    private void publish() {
        Ledger.Release release = ledger.releasable(attempts.careful());
        if (release.isEmpty()) {
            finishedSinceCommit = false;
            return;
        }
        try {
            transact(release);
        } catch (RuntimeException e) {
            if (!Fatal.is(e) && Fatal.blamesRecords(e)) {
                attempts.failed(release.ids(), e.toString());
            }
            throw e;
        }
        ledger.committed(release);
        lastCommitMs = clock.millis();
        finishedSinceCommit = ledger.releasable(attempts.careful()).ids().size() > 0;
        machine.committed(release.ids());
        attempts.committed(release.ids());
        backoff.reset();
        stats.committed(release.ids().size(), release.records().size() - release.deadLetters(),
                release.deadLetters());
    }

    private void transact(Ledger.Release release) {
        if (inTransaction) {  // an abort that failed earlier: finish it first
            producer.abortTransaction();
            inTransaction = false;
        }
        producer.beginTransaction();
        inTransaction = true;
        for (ProducerRecord<byte[], byte[]> r : release.records()) {
            producer.send(r);  // failures surface in commitTransaction
        }
        producer.sendOffsetsToTransaction(release.offsets(), consumer.groupMetadata());
        previews.flush();  // the final deltas of this release's answers go into the log before the answers commit
        commit();
        inTransaction = false;
    }

    /** commitTransaction; a timed-out commit may have gone through, so it is retried, never aborted. */
    private void commit() {
        for (int tries = 1; ; tries++) {
            try {
                producer.commitTransaction();
                return;
            } catch (TimeoutException e) {
                if (tries >= 3 || stopping) {
                    throw new Fatal.CommitTimeoutException(e, tries);
                }
                LOG.warn("{}: commitTransaction timed out, retrying it: {}", name, e.toString());
            }
        }
    }

    private void recoverAfter(RuntimeException e) {
        abortQuietly();
        stats.aborted();
        recover();
        pause();
    }

    /**
     * Drops every piece of uncommitted work and rewinds each partition to its committed offset (or, when the group
     * has none or it cannot be read, to the first uncommitted record this worker consumed), so the next polls read
     * the same records again. Aborted outputs are invisible to read_committed consumers.
     */
    private void recover() {
        needsRecovery = false;
        finishedSinceCommit = false;
        abortQuietly();
        Map<TopicPartition, Long> first = ledger.firstOffsets();
        machine.reset();
        ledger.clear();
        backlog.clear();
        try {
            Set<TopicPartition> assigned = consumer.assignment();
            Map<TopicPartition, OffsetAndMetadata> committed = committed(assigned);
            for (TopicPartition tp : assigned) {
                OffsetAndMetadata c = committed.get(tp);
                Long target = c != null ? Long.valueOf(c.offset()) : first.get(tp);
                if (target != null) {
                    consumer.seek(tp, target);
                }
            }
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (RuntimeException e) {
            if (Fatal.is(e)) {
                throw e;
            }
            LOG.warn("{}: cannot rewind ({}); trying again after a pause", name, e.toString());
            needsRecovery = true;
            pause();
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return Map.of();
        }
        try {
            Map<TopicPartition, OffsetAndMetadata> c = consumer.committed(partitions);
            return c == null ? Map.of() : new HashMap<>(c);
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            if (Fatal.is(e)) {
                throw e;
            }
            LOG.warn("{}: cannot read the committed offsets ({}); rewinding to the first uncommitted records",
                    name, e.toString());
            return Map.of();
        }
    }

    private void abortQuietly() {
        if (!inTransaction) {
            return;
        }
        try {
            producer.abortTransaction();
            inTransaction = false;
        } catch (KafkaException e) {
            if (Fatal.is(e)) {
                throw e;
            }
            LOG.warn("{}: abort failed, will retry it before the next transaction: {}", name, e.toString());
        }
    }

    /** Sleeps the next backoff; an interrupt stops the worker. */
    private void pause() {
        long ms = backoff.next();
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    /** Drops the partitions' work: the machine's in-flight inputs, the backlog, the ledger, the attempts. */
    private void drop(Collection<TopicPartition> partitions) {
        machine.cancel(ledger.forget(partitions));
        backlog.removeIf(id -> partitions.contains(id.partition()));
        attempts.forget(partitions);
        stats.inFlight(ledger.size());
    }

    private void close() {
        closing = true;
        try {
            if (!fatal && !needsRecovery && !Thread.currentThread().isInterrupted()) {
                publish();  // what is finished goes out; unfinished work is read again by the next owner
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: could not publish the finished work on the way out: {}", name, e.toString());
        }
        try {
            abortQuietly();
        } catch (RuntimeException e) {
            LOG.warn("{}: abort on the way out failed: {}", name, e.toString());
        }
        closeQuietly(consumer::close, "consumer");
        closeQuietly(() -> producer.close(Duration.ofSeconds(5)), "producer");
        closeQuietly(previews, "preview producer");
        closeQuietly(hook, "partition hook");
        closeQuietly(machine::close, "machine");
        closeQuietly(parts, "model parts");
        LOG.info("{}: stopped; {}", name, stats.snapshot());
    }

    private void closeQuietly(AutoCloseable c, String what) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (Exception e) {
            LOG.warn("{}: closing the {} failed: {}", name, what, e.toString());
        }
    }

    /**
     * Before partitions are revoked, what is releasable is published (their finished prefix commits under the
     * current generation); their unfinished work is dropped. Lost partitions (another member owns them already)
     * are only dropped. A publish that fails here is recovered from after the poll.
     */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            if (!closing && !needsRecovery) {
                try {
                    publish();
                } catch (WakeupException | InterruptException e) {
                    throw e;
                } catch (RuntimeException e) {
                    if (Fatal.is(e)) {
                        throw e;
                    }
                    LOG.warn("{}: publishing before revocation failed: {}", name, e.toString());
                    abortQuietly();
                    stats.aborted();
                    needsRecovery = true;
                }
            }
            LOG.info("{}: revoked {}; dropping their unfinished work", name, partitions);
            drop(partitions);
            hook.revoked(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            LOG.warn("{}: lost {}; dropping their uncommitted work", name, partitions);
            drop(partitions);
            hook.revoked(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            LOG.info("{}: assigned {}", name, partitions);
            hook.assigned(partitions);
        }
    }
}
