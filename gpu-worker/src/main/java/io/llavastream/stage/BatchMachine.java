package io.llavastream.stage;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * A synchronous batch stage as a {@link StageMachine}: inputs wait until the next {@link #step}, which runs
 * {@link #process} once over all of them and finishes every one. Subclasses are pure compute: a list of inputs
 * in, one {@link StageResult} per input out, in input order.
 */
public abstract class BatchMachine<I extends SpecificRecord> implements StageMachine<I> {
    private final int capacity;
    private final List<Object> tags = new ArrayList<>();
    private final List<I> inputs = new ArrayList<>();

    protected BatchMachine(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("batch capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Processes a batch: exactly one result per input, in input order. A problem with one input is a failed
     * result for it; an exception fails the whole batch (the model failed), and the driver isolates the culprit.
     */
    public abstract List<StageResult> process(List<I> batch);

    @Override
    public final boolean continuous() {
        return false;
    }

    @Override
    public final int capacity() {
        return capacity;
    }

    @Override
    public final int inFlight() {
        return inputs.size();
    }

    @Override
    public final void submit(Object tag, I input) {
        tags.add(tag);
        inputs.add(input);
    }

    /** Processes everything submitted since the last step; the machine is empty afterwards, even if this throws. */
    @Override
    public final List<Finished> step() {
        if (inputs.isEmpty()) {
            return List.of();
        }
        List<Object> t = List.copyOf(tags);
        List<I> batch = List.copyOf(inputs);
        reset();
        List<StageResult> results = process(batch);
        if (results.size() != batch.size()) {
            throw new IllegalStateException(stage().id() + " returned " + results.size() + " results for "
                    + batch.size() + " inputs");
        }
        List<Finished> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            out.add(new Finished(t.get(i), results.get(i)));
        }
        return out;
    }

    @Override
    public final void cancel(Collection<?> cancelled) {
        for (int i = tags.size() - 1; i >= 0; i--) {
            if (cancelled.contains(tags.get(i))) {
                tags.remove(i);
                inputs.remove(i);
            }
        }
    }

    @Override
    public final void reset() {
        tags.clear();
        inputs.clear();
    }

    /** A batch machine holds nothing but its queue; the parts belong to the caller. */
    @Override
    public void close() {
        reset();
    }
}
