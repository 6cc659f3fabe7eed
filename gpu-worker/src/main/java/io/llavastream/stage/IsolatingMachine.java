package io.llavastream.stage;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.StageName;
import io.llavastream.topics.Topic;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StageMachine} whose {@link #submit}, {@link #step} and {@link #failed} never throw for a model failure:
 * when the wrapped machine's step throws (an ONNX Runtime error, a bug on one odd input), the machine is reset and
 * every input that was in flight is run again alone, from a fresh state, until it finishes. One that fails alone
 * is the culprit: it finishes as a STAGE_ERROR with the stage's failure outputs (an ERROR answer); the others
 * finish normally. An input whose submit throws finishes as a STAGE_ERROR at the next step. Only an {@link Error}
 * (out of memory, ...) goes through.
 *
 * <p>Both drivers (Kafka and in-process) wrap their machine in one.
 */
public final class IsolatingMachine<I extends SpecificRecord> implements StageMachine<I> {
    private static final Logger LOG = LoggerFactory.getLogger(IsolatingMachine.class);

    private final StageMachine<I> inner;
    /** What is in flight in {@link #inner}, by tag, in submit order: what to re-run when a step throws. */
    private final Map<Object, I> inFlight = new LinkedHashMap<>();
    /** Inputs whose submit threw, returned by the next step. */
    private final List<Finished> refused = new ArrayList<>();
    private long isolations;

    public IsolatingMachine(StageMachine<I> inner) {
        this.inner = inner;
    }

    @Override
    public StageName stage() {
        return inner.stage();
    }

    @Override
    public Topic<I> input() {
        return inner.input();
    }

    @Override
    public boolean continuous() {
        return inner.continuous();
    }

    @Override
    public int capacity() {
        return inner.capacity();
    }

    @Override
    public int inFlight() {
        return inner.inFlight() + refused.size();
    }

    /** @throws IllegalArgumentException when {@code tag} is in flight already (a driver bug, not an input's) */
    @Override
    public void submit(Object tag, I input) {
        if (inFlight.containsKey(tag) || refused.stream().anyMatch(f -> f.tag().equals(tag))) {
            throw new IllegalArgumentException(stage().id() + ": tag " + tag + " is already in flight");
        }
        try {
            inner.submit(tag, input);
            inFlight.put(tag, input);
        } catch (RuntimeException e) {
            LOG.warn("{}: submitting input {} failed", stage().id(), tag, e);
            refused.add(new Finished(tag, failed(input, DeadLetterReason.STAGE_ERROR, "submit: " + e)));
        }
    }

    /** The inner machine's previews: those of inputs re-run alone come from their new, separate runs. */
    @Override
    public List<Output<?>> drainPreviews() {
        return inner.drainPreviews();
    }

    @Override
    public List<Finished> step() {
        List<Finished> done = new ArrayList<>(refused);
        refused.clear();
        try {
            List<Finished> stepped = inner.step();
            stepped.forEach(f -> inFlight.remove(f.tag()));
            done.addAll(stepped);
        } catch (RuntimeException e) {
            done.addAll(isolate(e));
        }
        return done;
    }

    /** Re-runs every in-flight input alone; the ones that fail alone finish as STAGE_ERROR. */
    private List<Finished> isolate(RuntimeException cause) {
        isolations++;
        List<Map.Entry<Object, I>> suspects = new ArrayList<>(inFlight.entrySet());
        inFlight.clear();
        LOG.warn("{}: a step over {} inputs failed ({}); running them one at a time", stage().id(),
                suspects.size(), cause.toString());
        inner.reset();
        List<Finished> out = new ArrayList<>(suspects.size());
        for (Map.Entry<Object, I> s : suspects) {
            out.add(alone(s.getKey(), s.getValue()));
        }
        return out;
    }

    /** Runs one input to its end on a fresh machine. */
    private Finished alone(Object tag, I input) {
        inner.submit(tag, input);
        try {
            while (inner.inFlight() > 0) {
                for (Finished f : inner.step()) {
                    if (f.tag().equals(tag)) {
                        return f;
                    }
                }
            }
            throw new IllegalStateException(stage().id() + " dropped input " + tag + " without a result");
        } catch (RuntimeException e) {
            LOG.warn("{}: input {} fails alone: {}", stage().id(), tag, e.toString(), e);
            inner.reset();
            return new Finished(tag, failed(input, DeadLetterReason.STAGE_ERROR, e.toString()));
        }
    }

    /** The stage's failure result; when even that throws, the failure alone, without outputs. */
    @Override
    public StageResult failed(I input, DeadLetterReason reason, String message) {
        try {
            return inner.failed(input, reason, message);
        } catch (RuntimeException e) {
            LOG.warn("{}: no failure outputs for an input that failed with {}: {}", stage().id(), reason,
                    e.toString());
            return StageResult.failed(reason, message, List.of());
        }
    }

    @Override
    public void committed(Collection<?> tags) {
        inner.committed(tags);
    }

    @Override
    public void cancel(Collection<?> tags) {
        inner.cancel(tags);
        inFlight.keySet().removeAll(tags);
        refused.removeIf(f -> tags.contains(f.tag()));
    }

    @Override
    public void reset() {
        inner.reset();
        inFlight.clear();
        refused.clear();
    }

    /** How many steps have thrown and been isolated so far. */
    public long isolations() {
        return isolations;
    }

    @Override
    public void close() {
        inFlight.clear();
        refused.clear();
        inner.close();
    }
}
