package io.llavastream.topology;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * What this instance knows about records that killed a stream thread. {@link RecordGuard} tells it which record each
 * stream thread is processing ({@link #enter}, {@link #exit}); when a thread dies, {@link StreamThreadFailureHandler}
 * asks it which record that was ({@link #onThreadDeath}). A record that killed a thread {@code max.record.attempts}
 * times is poisoned: the next time it comes (the replacement thread resumes from the last commit, so it comes
 * again) {@link RecordGuard} dead-letters it (REPEATED_FAILURE) instead of processing it.
 *
 * <p>Only a death that happens while a record is being processed counts against that record, and only when the
 * failure is not transient ({@link Failures#isTransient}). Everything is in memory: after a restart of the process
 * a poisoned record gets {@code max.record.attempts} tries again. Touches no topic.
 */
final class RecordFailures {
    /** One thread death, as attributed: {@code record} is null when no record was being processed. */
    record Death(SourceRecord record, int recordDeaths, boolean poisoned, boolean isTransient) {
    }

    /** The record a thread is processing now, and how deep in its chain of processors the thread is. */
    private static final class Frame {
        SourceRecord record;
        int depth;
    }

    private final int maxRecordAttempts;
    private final ThreadLocal<Frame> frames = ThreadLocal.withInitial(Frame::new);
    private final Map<SourceRecord, Integer> deaths = new ConcurrentHashMap<>();
    private final Map<SourceRecord, String> poisoned = new ConcurrentHashMap<>();

    RecordFailures(int maxRecordAttempts) {
        this.maxRecordAttempts = maxRecordAttempts;
    }

    int maxRecordAttempts() {
        return maxRecordAttempts;
    }

    /**
     * Called as a processor starts on a record. At the head of a chain (depth 0) it notes the record and, when the
     * record is poisoned, returns why it must be dead-lettered instead of processed; the caller then calls
     * {@link #exit} itself.
     */
    Optional<String> enter(Optional<RecordMetadata> metadata) {
        Frame f = frames.get();
        if (f.depth++ > 0) {
            return Optional.empty();
        }
        f.record = SourceRecord.of(metadata).orElse(null);
        if (f.record == null || poisoned.isEmpty()) {
            return Optional.empty();
        }
        return Optional.ofNullable(poisoned.get(f.record)).map(last -> "record " + f.record
                + " killed the stream thread " + deaths.get(f.record) + " times (" + PipelineConfig.MAX_RECORD_ATTEMPTS_CONFIG
                + " = " + maxRecordAttempts + "), last with " + last + "; dead-lettered instead of processed again");
    }

    /** The processor returned normally (or the record was dead-lettered as poisoned). */
    void exit() {
        Frame f = frames.get();
        if (--f.depth == 0) {
            f.record = null;
        }
    }

    /**
     * The processor threw an exception, which Kafka Streams hands to the processing exception handler: it either
     * dead-letters the record (and the thread goes on) or, for a transient failure, fails the thread, which never
     * counts against the record. Either way the record is no longer in flight. An {@link Error} never gets here:
     * the record stays noted, and {@link #onThreadDeath} finds it.
     */
    void exitAbruptly() {
        Frame f = frames.get();
        if (--f.depth == 0) {
            f.record = null;
        }
    }

    /** Attributes the death of the calling stream thread; call it on that thread (the uncaught handler is). */
    Death onThreadDeath(Throwable failure) {
        Frame f = frames.get();
        SourceRecord record = f.record;
        frames.remove();
        boolean isTransient = Failures.isTransient(failure);
        if (record == null || isTransient) {
            return new Death(record, 0, false, isTransient);
        }
        int n = deaths.merge(record, 1, Integer::sum);
        boolean poison = n >= maxRecordAttempts;
        if (poison) {
            poisoned.put(record, Failures.describe(failure));
        }
        return new Death(record, n, poison, false);
    }

    /** The records that are dead-lettered when they come again. */
    Map<SourceRecord, String> poisoned() {
        return Map.copyOf(poisoned);
    }
}
