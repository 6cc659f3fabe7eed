package io.llavastream.worker;

import io.llavastream.stage.Output;
import io.llavastream.stage.StageMachine;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a stage machine's previews ({@link StageMachine#drainPreviews}: the decode stage's token deltas on
 * {@link Topics#ANSWER_TOKENS}) at once, on a producer of their own that is not transactional, so they are visible
 * before the stage's transaction commits. Best-effort: a preview that cannot be serialized, that the producer
 * refuses, or whose send fails is dropped, counted ({@link WorkerStats#previewsDropped}) and logged at most once per
 * {@value #LOG_EVERY_MS} ms; nothing here ever throws to the driver. A send that blocks (no metadata for the topic,
 * a full buffer) fails after the producer's short max.block.ms, and then previews are dropped without trying for
 * {@value #PAUSE_MS} ms, so a broker in trouble costs the stage at most that block once a second.
 *
 * <p>{@link #flush} waits, at most the flush timeout, for every preview sent so far to be acknowledged: the driver
 * calls it before committing a transaction, so an answer's final delta is in the log before the answer is visible
 * to read_committed readers. The producer is made on the first preview (a stage that makes none has none).
 * Writes the previews' topics; reads none. Used on the driver's thread only (the counts are thread-safe).
 */
final class PreviewPublisher implements AutoCloseable {
    static final long LOG_EVERY_MS = 10_000;
    static final long PAUSE_MS = 1_000;
    private static final int MAX_UNFLUSHED = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(PreviewPublisher.class);

    private final String name;
    private final Supplier<Producer<byte[], byte[]>> factory;
    private final OutputWriter writer;
    private final WorkerStats stats;
    private final Clock clock;
    private final long flushTimeoutMs;
    private final Callback callback = this::completed;
    /** Sends not yet waited for by a flush. */
    private final List<Future<RecordMetadata>> unflushed = new ArrayList<>();
    private Producer<byte[], byte[]> producer;
    /** Told of the producer once it is made (the driver binds its Kafka client meters). */
    private java.util.function.Consumer<Producer<byte[], byte[]>> onCreate = p -> { };
    private boolean broken;
    private long pausedUntil = Long.MIN_VALUE;
    private long lastLog = Long.MIN_VALUE;
    private long droppedSinceLog;

    /**
     * @param factory makes the producer on the first preview; null = previews are off and dropped uncounted
     */
    PreviewPublisher(String name, Supplier<Producer<byte[], byte[]>> factory, OutputWriter writer,
                     WorkerStats stats, Clock clock, long flushTimeoutMs) {
        this.name = name;
        this.factory = factory;
        this.writer = writer;
        this.stats = stats;
        this.clock = clock;
        this.flushTimeoutMs = flushTimeoutMs;
    }

    /** A publisher that drops whatever it is given, counting nothing (streaming turned off). */
    static PreviewPublisher off(String name, WorkerStats stats) {
        return new PreviewPublisher(name, null, null, stats, Clock.systemUTC(), 0);
    }

    /** {@code action} is told of the producer when it is made (at once, if it is made already). */
    synchronized void onCreate(java.util.function.Consumer<Producer<byte[], byte[]>> action) {
        this.onCreate = action;
        if (producer != null) {
            action.accept(producer);
        }
    }

    /** Sends each preview now, in order; one that cannot go is dropped and counted. */
    void send(List<Output<?>> previews) {
        if (previews.isEmpty() || factory == null) {
            return;
        }
        for (int i = 0; i < previews.size(); i++) {
            if (clock.millis() < pausedUntil || !ready()) {
                dropped(previews.size() - i, "paused after a failed send");
                return;
            }
            send(previews.get(i));
        }
    }

    private void send(Output<?> preview) {
        ProducerRecord<byte[], byte[]> record;
        try {
            record = writer.serialize(preview);
        } catch (RuntimeException e) {
            dropped(1, "cannot serialize " + preview.topic().name() + " for " + preview.key() + ": " + e);
            return;
        }
        if (unflushed.size() >= MAX_UNFLUSHED) {  // no transaction for a long while: forget the acknowledged ones
            unflushed.removeIf(Future::isDone);
        }
        try {
            unflushed.add(producer.send(record, callback));
        } catch (RuntimeException e) {  // blocked past max.block.ms, closed, or refused outright
            pausedUntil = clock.millis() + PAUSE_MS;
            dropped(1, "send to " + record.topic() + " failed: " + e + "; pausing previews " + PAUSE_MS + " ms");
        }
    }

    /** The producer, made on first use; false when it cannot be made (then previews stay off). */
    private boolean ready() {
        if (producer != null) {
            return true;
        }
        if (broken) {
            return false;
        }
        try {
            synchronized (this) {  // onCreate may be set from the thread that binds the meters
                producer = factory.get();
                onCreate.accept(producer);
            }
            return true;
        } catch (RuntimeException e) {
            broken = true;
            LOG.warn("{}: cannot create the preview producer, previews are off: {}", name, e.toString());
            return false;
        }
    }

    /** On the producer's thread: an acknowledged preview is sent, a failed one dropped. */
    private void completed(RecordMetadata metadata, Exception e) {
        if (e == null) {
            stats.previewSent();
        } else {
            dropped(1, "a preview was not delivered: " + e);
        }
    }

    /** Waits up to the flush timeout for every preview sent so far; those still on their way are not waited for. */
    void flush() {
        if (unflushed.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(flushTimeoutMs);
        try {
            for (Future<RecordMetadata> f : unflushed) {
                if (!await(f, deadline)) {
                    log("previews not acknowledged within " + flushTimeoutMs + " ms; committing without waiting "
                            + "longer");
                    return;
                }
            }
        } finally {
            unflushed.clear();
        }
    }

    /** Waits for {@code f} until {@code deadline}; false when time ran out (or the thread was interrupted). */
    private static boolean await(Future<RecordMetadata> f, long deadline) {
        try {
            f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException e) {
            return true;  // a failed send: counted by its callback; the others may still be delivered
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void dropped(long n, String why) {
        stats.previewsDropped(n);
        synchronized (this) {
            droppedSinceLog += n;
        }
        log(why);
    }

    /** Logs at most once per {@value #LOG_EVERY_MS} ms, with the previews dropped since the last line. */
    private synchronized void log(String why) {
        long now = clock.millis();
        if (lastLog != Long.MIN_VALUE && now - lastLog < LOG_EVERY_MS) {
            return;
        }
        lastLog = now;
        LOG.warn("{}: token previews are best-effort: {} dropped since the last report ({} in all); latest: {}",
                name, droppedSinceLog, stats.previewsDropped(), why);
        droppedSinceLog = 0;
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(1));
        }
    }
}
