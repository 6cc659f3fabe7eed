package io.llavastream.scale;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.stage.Finished;
import io.llavastream.stage.Output;
import io.llavastream.stage.StageMachine;
import io.llavastream.stage.StageResult;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;

/**
 * SIMULATED decode stage as a continuous batcher, like the real one: requests wait in a queue, join the running
 * batch at the next step while it has fewer than {@code maxBatch} rows, and leave after {@code answerTokens}
 * steps with an answer of that many tokens. A step waits the modelled time: {@code decodeStep.ms(rows)} plus the
 * prefill of each request that joins in it.
 *
 * <p>Reads {@link Topics#BENCH_SCALE_DECODE_REQUESTS}; writes {@link Topics#BENCH_SCALE_ANSWERS}.
 */
final class SimDecodeMachine implements StageMachine<DecodeRequest> {
    private final ScalePayloads payloads;
    private final ScaleModel model;
    private final SimulatedGpu gpu;
    private final StageBusy busy;
    private final Clock clock;
    private final ArrayDeque<Row> waiting = new ArrayDeque<>();
    private final List<Row> running = new ArrayList<>();

    /** One request in the batcher: its tag, the steps it has had, the GPU time charged to it. */
    private static final class Row {
        final Object tag;
        final DecodeRequest request;
        int tokens;
        double prefillMs;
        double decodeMs;

        Row(Object tag, DecodeRequest request) {
            this.tag = tag;
            this.request = request;
        }
    }

    /** {@code busy} counts the steps and the rows they carry; the GPU time goes to {@code gpu}'s counter. */
    SimDecodeMachine(ScalePayloads payloads, ScaleModel model, SimulatedGpu gpu, StageBusy busy, Clock clock) {
        this.payloads = payloads;
        this.model = model;
        this.gpu = gpu;
        this.busy = busy;
        this.clock = clock;
    }

    @Override
    public StageName stage() {
        return StageName.DECODE;
    }

    @Override
    public Topic<DecodeRequest> input() {
        return Topics.BENCH_SCALE_DECODE_REQUESTS;
    }

    @Override
    public boolean continuous() {
        return true;
    }

    /** A full batch decoding and as many waiting to join, like the real decode stage. */
    @Override
    public int capacity() {
        return 2 * model.decodeBatch();
    }

    @Override
    public int inFlight() {
        return waiting.size() + running.size();
    }

    @Override
    public void submit(Object tag, DecodeRequest input) {
        waiting.add(new Row(tag, input));
    }

    @Override
    public List<Finished> step() {
        int joined = 0;
        while (running.size() < model.decodeBatch() && !waiting.isEmpty()) {
            Row r = waiting.poll();
            r.prefillMs = model.prefillMs();
            running.add(r);
            joined++;
        }
        if (running.isEmpty()) {
            return List.of();
        }
        double stepMs = model.decodeStep().ms(running.size());
        gpu.run(stepMs + joined * model.prefillMs());
        busy.decodeSteps().incrementAndGet();
        busy.decodeRows().addAndGet(running.size());
        List<Finished> out = new ArrayList<>();
        for (Iterator<Row> it = running.iterator(); it.hasNext(); ) {
            Row r = it.next();
            r.tokens++;
            r.decodeMs += stepMs;
            if (r.tokens >= model.answerTokens()) {
                it.remove();
                out.add(new Finished(r.tag, StageResult.ok(List.of(new Output<>(Topics.BENCH_SCALE_ANSWERS,
                        r.request.getTask().getTaskId(), payloads.answer(r.request, r.tokens, r.prefillMs,
                        r.decodeMs, clock.instant()))))));
            }
        }
        return out;
    }

    @Override
    public StageResult failed(DecodeRequest input, DeadLetterReason reason, String message) {
        return StageResult.failed(reason, message, List.of(new Output<>(Topics.BENCH_SCALE_ANSWERS,
                input.getTask().getTaskId(), payloads.errorAnswer(input.getTask(), reason, message, clock.instant()))));
    }

    @Override
    public void cancel(Collection<?> tags) {
        waiting.removeIf(r -> tags.contains(r.tag));
        running.removeIf(r -> tags.contains(r.tag));
    }

    @Override
    public void reset() {
        waiting.clear();
        running.clear();
    }

    @Override
    public void close() {
        reset();
    }
}
