package io.llavastream.topology;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when a stream thread dies (an {@link Error}, a failure the exception handlers do not resume from, a
 * transaction that cannot commit): the death is attributed to the record the thread was processing
 * ({@link RecordFailures}), the handler waits (exponential backoff: {@code thread.replace.backoff.ms}, doubled per
 * consecutive death up to {@code thread.replace.backoff.max.ms}) and replaces the thread, which resumes from the
 * last committed transaction. A record that killed the thread {@code max.record.attempts} times is dead-lettered
 * when it comes again ({@link RecordGuard}). Deaths are in a row while each replacement thread dies within
 * {@code thread.replace.backoff.max.ms} of its start (one that lives longer starts the count again, whether or not it
 * processed records: a thread whose transactions can never commit processes records too).
 * After {@code max.thread.failures} of them the instance shuts down instead (state ERROR; {@code ./llava-stream
 * topology} exits 1), so that a failure no record explains ends in a restart by the supervisor rather than in a
 * loop. Runs on the dying thread, which is why the backoff is a sleep here; {@link #close} cuts it short. Touches
 * no topic.
 */
final class StreamThreadFailureHandler implements StreamsUncaughtExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(StreamThreadFailureHandler.class);
    private final RecordFailures failures;
    private final Duration backoff;
    private final Duration maxBackoff;
    private final int maxConsecutive;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicInteger replacements = new AtomicInteger();
    private int streak;
    private long lastDeathNanos;

    StreamThreadFailureHandler(RecordFailures failures, PipelineConfig config) {
        this.failures = failures;
        this.backoff = config.threadReplaceBackoff();
        this.maxBackoff = config.threadReplaceBackoffMax();
        this.maxConsecutive = config.maxThreadFailures();
    }

    @Override
    public StreamThreadExceptionResponse handle(Throwable failure) {
        RecordFailures.Death d = failures.onThreadDeath(failure);
        int inARow = countInARow();
        if (inARow > maxConsecutive) {
            LOG.error("stream thread died {} times in a row, each within {} = {} ms of the one before ({} = {}); "
                    + "shutting this instance down", inARow, PipelineConfig.THREAD_REPLACE_BACKOFF_MAX_MS_CONFIG,
                    maxBackoff.toMillis(), PipelineConfig.MAX_THREAD_FAILURES_CONFIG, maxConsecutive, failure);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        Duration wait = backoff(inARow);
        LOG.error("stream thread died ({} in a row) {}; replacing it in {} ms", inARow, blame(d),
                wait.toMillis(), failure);
        try {
            if (closed.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                return StreamThreadExceptionResponse.REPLACE_THREAD; // a closing client adds no thread
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        replacements.incrementAndGet();
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** This death's place in the current run of deaths; a gap over the longest backoff starts a new run. */
    private synchronized int countInARow() {
        long now = System.nanoTime();
        boolean sameRun = streak > 0 && now - lastDeathNanos <= maxBackoff.toNanos() + backoff(streak).toNanos();
        streak = sameRun ? streak + 1 : 1;
        lastDeathNanos = now;
        return streak;
    }

    /** {@code thread.replace.backoff.ms} * 2^(n-1), at most {@code thread.replace.backoff.max.ms}. */
    Duration backoff(int consecutive) {
        int doublings = Math.min(consecutive - 1, 30);
        long ms = backoff.toMillis() << doublings;
        return ms <= 0 || ms > maxBackoff.toMillis() ? maxBackoff : Duration.ofMillis(ms);
    }

    private String blame(RecordFailures.Death d) {
        if (d.isTransient()) {
            return "of a transient failure (never counted against a record)";
        }
        if (d.record() == null) {
            return "between records (no record to blame)";
        }
        return "on record " + d.record() + " (" + d.recordDeaths() + " of " + failures.maxRecordAttempts() + " "
                + PipelineConfig.MAX_RECORD_ATTEMPTS_CONFIG + (d.poisoned() ? "; it will be dead-lettered "
                + "as REPEATED_FAILURE when it comes again)" : ")");
    }

    /** Threads replaced so far. */
    int replacements() {
        return replacements.get();
    }

    /** Ends any backoff in progress: the instance is closing, nothing is replaced any more. */
    void close() {
        closed.countDown();
    }
}
