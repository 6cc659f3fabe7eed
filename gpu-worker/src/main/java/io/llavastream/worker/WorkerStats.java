package io.llavastream.worker;

import io.llavastream.rules.DeadLetterReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Running counts of a stage worker, updated after each committed transaction; safe to read from any thread. */
public final class WorkerStats {
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong outputs = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong aborts = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    /** Dead letters written per reason, counted when the dead letter joins its transaction (an abort recounts). */
    private final Map<DeadLetterReason, AtomicLong> byReason = new EnumMap<>(DeadLetterReason.class);
    private final AtomicLong running = new AtomicLong();
    private final AtomicLong waiting = new AtomicLong();
    private final AtomicLong previewsSent = new AtomicLong();
    private final AtomicLong previewsDropped = new AtomicLong();
    private volatile StageEvents events = StageEvents.NONE;
    private volatile LongSupplier cacheHits = () -> 0;
    private volatile LongSupplier cacheMisses = () -> 0;

    /**
     * The counts at one moment.
     *
     * @param records     input records consumed and committed (dead-lettered ones included)
     * @param outputs     records published, dead letters not included
     * @param deadLetters input records sent to the dead-letter topic
     * @param batches     transactions committed
     * @param aborts      transactions aborted (or work dropped after a transient failure) and retried
     * @param inFlight    records consumed and not yet committed, now: work a crash would make the next owner redo
     * @param cacheHits   vision: images whose features came from the encoder cache (no vision compute); 0 elsewhere
     * @param cacheMisses vision: images looked up in the encoder cache and encoded; 0 elsewhere
     */
    public record Snapshot(long records, long outputs, long deadLetters, long batches, long aborts, long inFlight,
                           long cacheHits, long cacheMisses) {
    }

    void committed(long inputs, long published, long deadLettered) {
        records.addAndGet(inputs);
        outputs.addAndGet(published);
        deadLetters.addAndGet(deadLettered);
        batches.incrementAndGet();
    }

    {
        for (DeadLetterReason r : DeadLetterReason.values()) {
            byReason.put(r, new AtomicLong());
        }
    }

    void deadLettered(DeadLetterReason reason) {
        byReason.get(reason).incrementAndGet();
    }

    /** Dead letters written for {@code reason} so far (see {@link #deadLettered}). */
    public long deadLetters(DeadLetterReason reason) {
        return byReason.get(reason).get();
    }

    void queues(long inMachine, long inBacklog) {
        running.set(inMachine);
        waiting.set(inBacklog);
    }

    /** Inputs in the stage machine now (submitted, not finished): what a compute step works on. */
    public long running() {
        return running.get();
    }

    /** Inputs read and accepted, waiting for room in the machine (max.batch.size), now. */
    public long waiting() {
        return waiting.get();
    }

    /** Who is told of submits, compute steps and answers (the metrics); {@link StageEvents#NONE} by default. */
    public void events(StageEvents observer) {
        this.events = observer;
    }

    StageEvents events() {
        return events;
    }

    void aborted() {
        aborts.incrementAndGet();
    }

    void inFlight(long n) {
        inFlight.set(n);
    }

    /** Where the cache counts come from (the vision worker's encoder cache); counted when looked up. */
    private volatile LongSupplier labelsVersion = () -> 0;
    private volatile LongSupplier labelsSkipped = () -> 0;

    void cacheCounts(LongSupplier hits, LongSupplier misses) {
        this.cacheHits = hits;
        this.cacheMisses = misses;
    }

    /** Where the label counts come from (the vision worker's label book). */
    void labelCounts(LongSupplier version, LongSupplier skipped) {
        this.labelsVersion = version;
        this.labelsSkipped = skipped;
    }

    /**
     * The version of the label set in force in the vision worker: the number of label records applied since it
     * started (0: none, or labels off); a change on the labels topic is in force once this moves past it.
     */
    public long labelsVersion() {
        return labelsVersion.getAsLong();
    }

    /** Records of the labels topic the vision worker skipped (not a label definition, or breaking the rules). */
    public long labelsSkipped() {
        return labelsSkipped.getAsLong();
    }

    void previewSent() {
        previewsSent.incrementAndGet();
    }

    void previewsDropped(long n) {
        previewsDropped.addAndGet(n);
    }

    /** Previews (the decode stage's token deltas) the broker acknowledged; counted from the producer's thread. */
    public long previewsSent() {
        return previewsSent.get();
    }

    /** Previews given up: not serializable, refused by the producer, or failed or timed out on their way. */
    public long previewsDropped() {
        return previewsDropped.get();
    }

    public Snapshot snapshot() {
        return new Snapshot(records.get(), outputs.get(), deadLetters.get(), batches.get(), aborts.get(),
                inFlight.get(), cacheHits.getAsLong(), cacheMisses.getAsLong());
    }
}
