package io.llavastream.worker;

import io.llavastream.topics.Topic;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * A pipeline stage as pure compute: a micro-batch of decoded inputs in, one {@link StageResult} per input out.
 * Kafka, serialization, transactions, retries and dead letters live in {@link StageRuntime}, written once.
 *
 * @param <I> the input topic's value type
 */
public interface Stage<I extends SpecificRecord> extends AutoCloseable {
    /** The stage's name: vision, merge or decode; it names the consumer group and tags dead letters. */
    String name();

    /** The topic the stage consumes. */
    Topic<I> input();

    /**
     * Processes a micro-batch (at most the configured batch size). Returns exactly one result per input, in input
     * order. A problem with one input is a failed result for it, not an exception: an exception fails the whole
     * call, and the runtime then retries the inputs one by one to find the culprit.
     */
    List<StageResult> process(List<Input<I>> batch);

    /**
     * The result for an input that failed outside {@link #process}'s own checks (the runtime calls this when
     * processing it alone threw). Stages override it to add outputs that let the post complete anyway, such as an
     * ERROR answer.
     */
    default StageResult failed(Input<I> input, String errorType, String message) {
        return StageResult.failed(errorType, message, List.of());
    }

    /** Releases the stage's model resources; the default holds none. */
    @Override
    default void close() {
    }
}
