package io.llavastream.stage;

import io.llavastream.model.DecodeParts;
import io.llavastream.model.decode.ContinuousBatcher;
import io.llavastream.model.decode.Generation;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.StageTimings;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The decode stage as a continuous batcher: a request joins the running batch at the next step, every step
 * decodes one token for every running request, and a finished one leaves with its {@link Answer} (greedy, up to
 * {@code maxNewTokens} tokens). A request whose inputs_embeds are not [T, D] for its T input ids, whose bytes do
 * not fill that shape, or whose prompt leaves no room in the context, fails at {@link #submit} with an ERROR
 * answer; it comes back from the next step.
 *
 * <p>Reads {@link Topics#DECODE_REQUESTS}; writes {@link Topics#ANSWERS}.
 */
public final class DecodeMachine implements StageMachine<DecodeRequest> {
    private final DecodeParts parts;
    private final int maxBatch;
    private final SamplingParams params;
    private final Clock clock;
    private final ErrorAnswers errors;
    private final int hiddenSize;
    private final int context;
    /** The requests in the batcher, by tag. */
    private final Map<Object, DecodeRequest> running = new HashMap<>();
    /** Requests refused at submit, returned by the next step. */
    private final List<Finished> refused = new ArrayList<>();
    private ContinuousBatcher batcher;

    /**
     * A machine over {@code parts} (which the caller keeps and closes) decoding up to {@code maxBatch} sequences at
     * once, with as many more queued ({@link #capacity()}).
     */
    public DecodeMachine(DecodeParts parts, int maxBatch, int maxNewTokens, Clock clock) {
        this(parts, maxBatch, SamplingParams.greedy(maxNewTokens), clock);
    }

    /** Like the greedy machine, with other sampling (the {@code caption} command's temperature, top-p and seed). */
    public DecodeMachine(DecodeParts parts, int maxBatch, SamplingParams params, Clock clock) {
        this.parts = parts;
        this.maxBatch = maxBatch;
        this.params = params;
        this.clock = clock;
        this.errors = new ErrorAnswers(parts.modelId(), clock);
        this.hiddenSize = parts.decoder().config().hiddenSize();
        this.context = parts.decoder().config().maxPositionEmbeddings();
        this.batcher = parts.batcher(maxBatch);
    }

    @Override
    public StageName stage() {
        return StageName.DECODE;
    }

    @Override
    public Topic<DecodeRequest> input() {
        return Topics.DECODE_REQUESTS;
    }

    @Override
    public boolean continuous() {
        return true;
    }

    /** Twice the batch: a full batch decoding and one more waiting to join as rows finish. */
    @Override
    public int capacity() {
        return 2 * maxBatch;
    }

    @Override
    public int inFlight() {
        return running.size() + refused.size();
    }

    @Override
    public void submit(Object tag, DecodeRequest r) {
        float[] embeds;
        try {
            embeds = embeds(r);
        } catch (BadRequestException e) {
            refused.add(new Finished(tag, failed(r, e.reason, e.getMessage())));
            return;
        }
        running.put(tag, r);
        batcher.submit(new ContinuousBatcher.Request(tag, embeds, r.getInputIds().size(), params));
    }

    @Override
    public List<Finished> step() {
        List<Finished> out = new ArrayList<>(refused);
        refused.clear();
        if (!running.isEmpty()) {
            for (ContinuousBatcher.Finished f : batcher.step()) {
                DecodeRequest r = running.remove(f.tag());
                out.add(new Finished(f.tag(), StageResult.ok(List.of(answer(r, f.generation())))));
            }
        }
        return out;
    }

    @Override
    public StageResult failed(DecodeRequest input, DeadLetterReason reason, String message) {
        return StageResult.failed(reason, message, List.of(errors.of(input.getTask(), reason, message,
                input.getTimings())));
    }

    @Override
    public void cancel(Collection<?> tags) {
        for (Object tag : tags) {
            if (running.remove(tag) != null) {
                batcher.cancel(tag);
            }
        }
        refused.removeIf(f -> tags.contains(f.tag()));
    }

    /** Drops every request and the batcher with its KV cache: a step that threw may have left it half-updated. */
    @Override
    public void reset() {
        running.clear();
        refused.clear();
        batcher.close();
        batcher = parts.batcher(maxBatch);
    }

    @Override
    public void close() {
        running.clear();
        refused.clear();
        batcher.close();
    }

    /** The request's inputs_embeds [T, D], after checking its shape, its bytes and the room left to generate. */
    private float[] embeds(DecodeRequest r) {
        int[] shape;
        try {
            shape = TensorCodec.shape(r.getInputsEmbeds());
        } catch (RuntimeException e) {
            throw new BadRequestException(DeadLetterReason.BAD_TENSOR, "inputs_embeds: " + e.getMessage());
        }
        int t = r.getInputIds().size();
        if (shape.length != 2 || shape[0] != t || shape[1] != hiddenSize || t == 0) {
            throw new BadRequestException(DeadLetterReason.BAD_DECODE_REQUEST, "inputs_embeds has shape "
                    + Arrays.toString(shape) + ", expected [" + t + ", " + hiddenSize + "] for " + t
                    + " input ids (at least one)");
        }
        if (t >= context) {
            throw new BadRequestException(DeadLetterReason.BAD_DECODE_REQUEST, "prompt of " + t
                    + " tokens leaves no room in the context of " + context);
        }
        try {
            return TensorCodec.floats(r.getInputsEmbeds());
        } catch (RuntimeException e) {  // whatever TensorCodec refuses is a bad tensor, not a model failure
            throw new BadRequestException(DeadLetterReason.BAD_TENSOR, "inputs_embeds: " + e.getMessage());
        }
    }

    private Output<Answer> answer(DecodeRequest r, Generation g) {
        StageTimings t = StageTimings.newBuilder(r.getTimings()).setPrefillMs(g.prefillNanos() / 1e6)
                .setDecodeMs(g.decodeNanos() / 1e6).setGeneratedTokens(g.tokenIds().length).build();
        Answer a = Answer.newBuilder().setTask(r.getTask()).setText(parts.tokenizer().decode(g.tokenIds()))
                .setTokenIds(Arrays.stream(g.tokenIds()).boxed().toList())
                .setFinishReason(FinishReason.valueOf(g.finishReason().name())).setModelId(parts.modelId())
                .setTimings(t).setError(null).setCompletedAt(clock.instant()).build();
        return new Output<>(Topics.ANSWERS, r.getTask().getTaskId(), a);
    }

    /** A request the decoder cannot take: BAD_DECODE_REQUEST or BAD_TENSOR. */
    private static final class BadRequestException extends RuntimeException {
        final DeadLetterReason reason;

        BadRequestException(DeadLetterReason reason, String message) {
            super(message);
            this.reason = reason;
        }
    }
}
