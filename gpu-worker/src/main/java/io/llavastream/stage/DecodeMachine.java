package io.llavastream.stage;

import io.llavastream.model.DecodeParts;
import io.llavastream.model.decode.ContinuousBatcher;
import io.llavastream.model.decode.Generation;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.StageTimings;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The decode stage as a continuous batcher: a request joins the running batch at the next step, every step
 * decodes one token for every running request, and a finished one leaves with its {@link Answer} (greedy, up to
 * {@code maxNewTokens} tokens). The prompt [T, D] is built here: the request's T input ids embedded with this
 * stage's token table, and its image features Hv [N, D] written in at its N image positions (a record from before
 * image_features existed carries the whole [T, D] as inputs_embeds instead, and is decoded as it is). A request with
 * ids outside the vocabulary, positions outside the prompt or out of order, Hv that is not [N, D], a tensor whose
 * bytes or dtype are bad, or a prompt that leaves no room in the context, fails at {@link #submit} with an ERROR
 * answer (BAD_DECODE_REQUEST, or BAD_TENSOR for the bytes); it comes back from the next step.
 *
 * <p>LoRA adapters: a request decodes with the adapter its TaskRef names (docs/adapters.md), in the same batch as
 * requests of other adapters and of the base model; its answer carries the adapter's name next to model_id. A name
 * the parts have not loaded is a BAD_DECODE_REQUEST.
 *
 * <p>Built to stream tokens, it also makes a preview after every step: one {@link AnswerToken} per running request
 * with the text that step added ({@link TokenStream}), drained with {@link #drainPreviews}. The final delta reuses
 * the answer's one decode of its ids; a step costs one more decode of each running request's ids so far and no
 * ONNX work. A request refused at submit has no stream.
 *
 * <p>Reads {@link Topics#DECODE_REQUESTS}; writes {@link Topics#ANSWERS} (and, streaming,
 * {@link Topics#ANSWER_TOKENS} as previews).
 */
public final class DecodeMachine implements StageMachine<DecodeRequest> {
    private final DecodeParts parts;
    private final int maxBatch;
    private final SamplingParams params;
    private final Clock clock;
    private final ErrorAnswers errors;
    private final int hiddenSize;
    private final int context;
    private final int vocab;
    /** The requests in the batcher, by tag. */
    private final Map<Object, DecodeRequest> running = new HashMap<>();
    /** Requests refused at submit, returned by the next step. */
    private final List<Finished> refused = new ArrayList<>();
    private final boolean streamTokens;
    /** Streaming: each running request's token stream, by tag. */
    private final Map<Object, TokenStream> streams = new HashMap<>();
    /** Streaming: the streams that got a token in the current step (a finished one has nothing pending after). */
    private final List<TokenStream> touched = new ArrayList<>();
    /** Streaming: deltas made and not yet drained. */
    private List<Output<?>> previews = new ArrayList<>();
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
        this(parts, maxBatch, params, false, clock);
    }

    /**
     * A machine that, when {@code streamTokens}, makes a token delta for every running request after every step
     * ({@link #drainPreviews}); the Kafka worker publishes them, nobody else asks for them.
     */
    public DecodeMachine(DecodeParts parts, int maxBatch, SamplingParams params, boolean streamTokens, Clock clock) {
        this.parts = parts;
        this.streamTokens = streamTokens;
        this.maxBatch = maxBatch;
        this.params = params;
        this.clock = clock;
        this.errors = new ErrorAnswers(parts.modelId(), clock);
        this.hiddenSize = parts.decoder().config().hiddenSize();
        this.context = parts.decoder().config().maxPositionEmbeddings();
        this.vocab = parts.decoder().config().vocabSize();
        this.batcher = newBatcher();
    }

    /** A batcher over the parts; when streaming, it tells this machine's streams each token. */
    private ContinuousBatcher newBatcher() {
        ContinuousBatcher b = parts.batcher(maxBatch);
        if (streamTokens) {
            b.listener(this::token);
        }
        return b;
    }

    /**
     * The batcher sampled {@code id} for {@code tag}: its stream takes it. A joining request gets two ids in its first
     * step (the prefill's and the step's), which make one delta; the last id goes out with the answer.
     */
    private void token(Object tag, long id, boolean last) {
        TokenStream s = streams.get(tag);
        if (s != null) {
            if (!s.hasPending()) {
                touched.add(s);
            }
            s.add(id);
        }
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
        int adapter;
        try {
            adapter = adapter(r);
            embeds = prompt(r);
        } catch (BadRequestException e) {
            refused.add(new Finished(tag, failed(r, e.reason, e.getMessage())));
            return;
        }
        running.put(tag, r);
        if (streamTokens) {
            streams.put(tag, new TokenStream(r.getTask(), parts.modelId(), parts.tokenizer(), params.maxNewTokens()));
        }
        batcher.submit(new ContinuousBatcher.Request(tag, embeds, r.getInputIds().size(), params, adapter));
    }

    @Override
    public List<Finished> step() {
        List<Finished> out = new ArrayList<>(refused);
        refused.clear();
        if (!running.isEmpty()) {
            List<ContinuousBatcher.Finished> done = batcher.step();
            Instant now = streamTokens ? clock.instant() : null;
            for (ContinuousBatcher.Finished f : done) {
                DecodeRequest r = running.remove(f.tag());
                Output<Answer> a = answer(r, f.generation());
                TokenStream s = streams.remove(f.tag());
                if (s != null) {
                    previews.add(s.last(a.value().getText(), now));  // this step's ids too: nothing is pending now
                }
                out.add(new Finished(f.tag(), StageResult.ok(List.of(a))));
            }
            for (TokenStream s : touched) {
                if (s.hasPending()) {
                    previews.add(s.delta(now));
                }
            }
            touched.clear();
        }
        return out;
    }

    /** The token deltas made since the last call: empty unless built to stream tokens. */
    @Override
    public List<Output<?>> drainPreviews() {
        if (previews.isEmpty()) {
            return List.of();
        }
        List<Output<?>> out = previews;
        previews = new ArrayList<>();
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
                streams.remove(tag);
            }
        }
        refused.removeIf(f -> tags.contains(f.tag()));
    }

    /** Drops every request and the batcher with its KV cache: a step that threw may have left it half-updated. */
    @Override
    public void reset() {
        clear();
        batcher.close();
        batcher = newBatcher();
    }

    @Override
    public void close() {
        clear();
        batcher.close();
    }

    /** Forgets every request and its stream; a request submitted again starts a new stream. */
    private void clear() {
        running.clear();
        refused.clear();
        streams.clear();
        touched.clear();
        previews.clear();
    }

    /**
     * The request's prompt embeddings [T, D]: its input ids embedded with this stage's table and its Hv rows written
     * in at its image positions, straight from the record's bytes; or, in a record written before image_features
     * existed, its inputs_embeds. Everything is checked first, and a failure names the bad value.
     */
    private float[] prompt(DecodeRequest r) {
        long[] ids = ids(r);
        if (r.getInputsEmbeds() != null) {
            if (r.getImageFeatures() != null || !r.getImagePositions().isEmpty()) {
                throw bad("carries both inputs_embeds and image_features/image_positions; expected one or the "
                        + "other");
            }
            return embeds(r);
        }
        if (r.getImageFeatures() == null) {
            throw bad("has neither image_features nor inputs_embeds");
        }
        int[] positions = positions(r, ids.length);
        int rows = imageFeatureRows(r, positions.length);
        float[] prompt = parts.embedder().embed(ids);
        for (int i = 0; i < rows; i++) {
            TensorCodec.read(r.getImageFeatures(), i * hiddenSize, hiddenSize, prompt, positions[i] * hiddenSize);
        }
        return prompt;
    }

    /** The index of the request's LoRA adapter (TaskRef.adapter; "" = 0, the base model) among those loaded. */
    private int adapter(DecodeRequest r) {
        try {
            return parts.decoder().adapters().index(r.getTask().getAdapter());
        } catch (io.llavastream.model.adapter.AdapterException e) {
            throw bad("asks for " + e.getMessage() + "; this decode worker's decode.adapters must list it");
        }
    }

    /** input_ids, after checking there is at least one, that they leave room to generate and fit the vocabulary. */
    private long[] ids(DecodeRequest r) {
        List<Long> list = r.getInputIds();
        int t = list.size();
        if (t == 0) {
            throw bad("has no input ids; expected at least one");
        }
        if (t >= context) {
            throw bad("prompt of " + t + " tokens leaves no room in the context of " + context);
        }
        long[] ids = new long[t];
        for (int i = 0; i < t; i++) {
            long id = list.get(i);
            if (id < 0 || id >= vocab) {
                throw bad("input_ids[" + i + "] = " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
            ids[i] = id;
        }
        return ids;
    }

    /** image_positions, after checking each lies in [0, T) and follows the one before (strictly increasing). */
    private static int[] positions(DecodeRequest r, int t) {
        List<Integer> list = r.getImagePositions();
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            int p = list.get(i);
            if (p < 0 || p >= t) {
                throw bad("image_positions[" + i + "] = " + p + " is outside the prompt's " + t + " tokens [0, " + t
                        + ")");
            }
            if (i > 0 && p <= out[i - 1]) {
                throw bad("image_positions[" + i + "] = " + p + " does not follow image_positions[" + (i - 1)
                        + "] = " + out[i - 1] + "; expected strictly increasing positions");
            }
            out[i] = p;
        }
        return out;
    }

    /** The rows of image_features, after checking its shape is [N, D] for the N positions and its bytes and dtype. */
    private int imageFeatureRows(DecodeRequest r, int n) {
        int[] shape;
        try {
            shape = TensorCodec.shape(r.getImageFeatures());
            TensorCodec.elements(r.getImageFeatures());
        } catch (RuntimeException e) {  // whatever TensorCodec refuses is a bad tensor, not a model failure
            throw new BadRequestException(DeadLetterReason.BAD_TENSOR, "image_features: " + e.getMessage());
        }
        if (shape.length != 2 || shape[0] != n || shape[1] != hiddenSize || n == 0) {
            throw bad("image_features has shape " + Arrays.toString(shape) + ", expected [" + n + ", " + hiddenSize
                    + "] for " + n + " image positions (at least one)");
        }
        return n;
    }

    /** A record's inputs_embeds [T, D] (written before image_features existed), after checking shape and bytes. */
    private float[] embeds(DecodeRequest r) {
        int[] shape;
        try {
            shape = TensorCodec.shape(r.getInputsEmbeds());
        } catch (RuntimeException e) {
            throw new BadRequestException(DeadLetterReason.BAD_TENSOR, "inputs_embeds: " + e.getMessage());
        }
        int t = r.getInputIds().size();
        if (shape.length != 2 || shape[0] != t || shape[1] != hiddenSize) {
            throw bad("inputs_embeds has shape " + Arrays.toString(shape) + ", expected [" + t + ", " + hiddenSize
                    + "] for " + t + " input ids");
        }
        try {
            return TensorCodec.floats(r.getInputsEmbeds());
        } catch (RuntimeException e) {  // whatever TensorCodec refuses is a bad tensor, not a model failure
            throw new BadRequestException(DeadLetterReason.BAD_TENSOR, "inputs_embeds: " + e.getMessage());
        }
    }

    private static BadRequestException bad(String message) {
        return new BadRequestException(DeadLetterReason.BAD_DECODE_REQUEST, message);
    }

    private Output<Answer> answer(DecodeRequest r, Generation g) {
        StageTimings t = StageTimings.newBuilder(r.getTimings()).setPrefillMs(g.prefillNanos() / 1e6)
                .setDecodeMs(g.decodeNanos() / 1e6).setGeneratedTokens(g.tokenIds().length).build();
        Answer a = Answer.newBuilder().setTask(r.getTask()).setText(parts.tokenizer().decode(g.tokenIds()))
                .setTokenIds(Arrays.stream(g.tokenIds()).boxed().toList())
                .setFinishReason(FinishReason.valueOf(g.finishReason().name())).setModelId(parts.modelId())
                .setTimings(t).setError(null).setCompletedAt(clock.instant()).setAdapter(r.getTask().getAdapter())
                .setLabels(r.getLabels()).build();  // the vision stage's zero-shot labels (docs/labels.md)
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
