package io.llavastream.worker;

import java.util.concurrent.atomic.AtomicLong;

/** Running counts of a stage worker, updated after each committed batch; safe to read from any thread. */
public final class WorkerStats {
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong outputs = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong aborts = new AtomicLong();

    /**
     * The counts at one moment.
     *
     * @param records     input records consumed and committed (dead-lettered ones included)
     * @param outputs     records published, dead letters not included
     * @param deadLetters input records sent to the dead-letter topic
     * @param batches     transactions committed
     * @param aborts      transactions aborted and retried
     */
    public record Snapshot(long records, long outputs, long deadLetters, long batches, long aborts) {
    }

    void committed(ProcessedBatch b) {
        records.addAndGet(b.inputs());
        outputs.addAndGet(b.records().size() - b.deadLetters());
        deadLetters.addAndGet(b.deadLetters());
        batches.incrementAndGet();
    }

    void committed(long inputs, long published, long deadLettered) {
        records.addAndGet(inputs);
        outputs.addAndGet(published - deadLettered);
        deadLetters.addAndGet(deadLettered);
        batches.incrementAndGet();
    }

    void aborted() {
        aborts.incrementAndGet();
    }

    public Snapshot snapshot() {
        return new Snapshot(records.get(), outputs.get(), deadLetters.get(), batches.get(), aborts.get());
    }
}
