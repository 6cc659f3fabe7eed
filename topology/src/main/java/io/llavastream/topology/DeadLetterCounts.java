package io.llavastream.topology;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.DeadLetter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The dead letters this topology instance made, by error type: those of its own checks (refused posts and images,
 * timed-out images) and those of {@link DeadLetterExceptionHandler}. Counted when the dead letter is made, before
 * its transaction commits, so work redone after an abort is counted again. Bound as the meter
 * {@code llava.dead.letters} (tags {@code stage=topology}, {@code reason}), like a stage worker's; every
 * {@link DeadLetterReason} is there from the start at 0, any other error type from its first dead letter. Kafka
 * Streams creates the handler by name, so the one instance travels in the Streams properties under
 * {@value #CONFIG}. Reads and writes no topic.
 */
public final class DeadLetterCounts {
    /** Streams property holding the instance ({@link StreamsProperties} puts it there). */
    static final String CONFIG = "llava.dead.letter.counts";

    private final Map<String, LongAdder> byType = new ConcurrentHashMap<>();
    private volatile Binding binding;

    /** The meter registry and tags new error types are registered with, once bound. */
    private record Binding(MeterRegistry registry, Tags tags) {
    }

    /** Counts {@code letter} under its error type and returns it. */
    DeadLetter counted(DeadLetter letter) {
        add(letter.getErrorType());
        return letter;
    }

    /** Counts one dead letter of {@code errorType}. */
    void add(String errorType) {
        boolean[] created = {false};
        LongAdder n = byType.computeIfAbsent(errorType, t -> {
            created[0] = true;
            return new LongAdder();
        });
        n.increment();
        Binding b = binding;
        if (created[0] && b != null) {
            register(b, errorType);
        }
    }

    /** Dead letters made with this error type (a {@link DeadLetterReason} name or another type) so far. */
    public long count(String errorType) {
        LongAdder n = byType.get(errorType);
        return n == null ? 0 : n.sum();
    }

    /** Registers {@code llava.dead.letters} for every reason and every error type seen so far, with {@code tags}. */
    public void bindTo(MeterRegistry registry, Tags tags) {
        Binding b = new Binding(registry, tags);
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            byType.computeIfAbsent(reason.name(), t -> new LongAdder());
        }
        binding = b;
        byType.keySet().forEach(type -> register(b, type));
    }

    private void register(Binding b, String type) {
        FunctionCounter.builder("llava.dead.letters", this, c -> c.count(type)).tags(b.tags().and("reason", type))
                .description("dead letters written, by reason").register(b.registry());
    }
}
