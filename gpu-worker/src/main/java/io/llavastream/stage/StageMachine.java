package io.llavastream.stage;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.StageName;
import io.llavastream.topics.Topic;
import java.util.Collection;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * A model stage as a resumable machine, pure compute with no Kafka in sight: a driver {@link #submit}s decoded
 * inputs, each with an opaque tag of its own, and calls {@link #step} to do one unit of work, which returns the
 * inputs that finished in it. A synchronous batch (vision, merge) finishes everything submitted in one step;
 * decode is a continuous batcher, where inputs join the running batch at the next step and leave when done.
 *
 * <p>Every input submitted comes back exactly once from some step, as outputs or as a failure, unless the driver
 * {@link #cancel}s it or {@link #reset}s the machine. A problem with one input (bad shape, bad prompt, corrupt
 * image) is a failed {@link StageResult} for it, never an exception; an exception from {@link #step} means the
 * model itself failed, and {@link IsolatingMachine} then finds the culprit by running the inputs one at a time.
 *
 * <p>The driver decides when to step: a batch machine ({@link #continuous()} false) when {@link #inFlight()}
 * reaches {@link #capacity()} or the first input has lingered long enough; a continuous one on every loop while
 * anything is in flight, submitting new inputs while {@code inFlight() < capacity()}. Not thread-safe: one
 * thread drives a machine. Tags are compared with {@code equals}; give every in-flight input its own.
 *
 * @param <I> the input topic's value type
 */
public interface StageMachine<I extends SpecificRecord> extends AutoCloseable {
    /** Which stage this is: it names the consumer group and the {@code stage} of dead letters. */
    StageName stage();

    /** The topic whose records are this machine's inputs. */
    Topic<I> input();

    /** True when inputs finish over several steps (decode), false when each step finishes everything (a batch). */
    boolean continuous();

    /** The most inputs worth having in flight at once: the batch size, or the batcher's rows plus its queue. */
    int capacity();

    /** Inputs submitted and not yet returned by a step. */
    int inFlight();

    /** Queues one decoded input; it starts at the next {@link #step}. Per-input checks may fail it right here. */
    void submit(Object tag, I input);

    /** One unit of work; the inputs that finished in it, each with its tag, in no promised order. */
    List<Finished> step();

    /**
     * The result for an input that failed outside the machine's own checks: its model run threw when run alone
     * (STAGE_ERROR), its outputs could not be published (OUTPUT_ERROR), or it failed too often (REPEATED_FAILURE).
     * It carries the outputs that let the post complete anyway, such as an ERROR answer.
     */
    StageResult failed(I input, DeadLetterReason reason, String message);

    /**
     * The outputs of these finished inputs are committed (the Kafka driver calls it after each transaction): a
     * machine that keeps state derived from its own outputs, such as the vision stage's encoder cache, may trust
     * them now. Unknown tags are ignored; the default keeps nothing.
     */
    default void committed(Collection<?> tags) {
    }

    /**
     * Best-effort previews made since the last call, in the order they were made: records the driver may publish at
     * once, outside the transaction that carries the outputs, so they can be seen before the outputs commit (the
     * decode stage's token deltas on {@link io.llavastream.topics.Topics#ANSWER_TOKENS}). A driver that publishes
     * none never calls this, and a machine makes previews only when it was built to; the default has none.
     */
    default List<Output<?>> drainPreviews() {
        return List.of();
    }

    /** Drops these in-flight inputs: they will not come back from a step. Unknown tags are ignored. */
    void cancel(Collection<?> tags);

    /** Drops every in-flight input and starts from a fresh state (after a failed step). */
    void reset();

    /** Releases what the machine allocated itself; the model parts belong to whoever built the machine. */
    @Override
    void close();
}
