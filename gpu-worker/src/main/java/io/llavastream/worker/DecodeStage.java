package io.llavastream.worker;

import io.llavastream.tensor.TensorCodec;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.decode.ContinuousBatcher;
import io.llavastream.model.decode.Generation;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.StageTimings;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;

/**
 * The decode stage's compute: checks a {@link DecodeRequest} and turns it into a batcher request, and turns a
 * finished generation into an {@link Answer}. The scheduling itself is {@link ContinuousBatcher}'s; Kafka is
 * {@link ContinuousDecodeRuntime}'s.
 */
public final class DecodeStage {
    private final LlavaModel model;
    private final SamplingParams params;
    private final Clock clock;
    private final ErrorAnswers errors;

    public DecodeStage(LlavaModel model, int maxNewTokens, Clock clock) {
        this.model = model;
        this.params = SamplingParams.greedy(maxNewTokens);
        this.clock = clock;
        this.errors = new ErrorAnswers(model.modelId(), clock);
    }

    /** The request for the batcher, or why the input cannot be decoded. */
    public Optional<String> check(DecodeRequest r) {
        int d = model.decoder().config().hiddenSize();
        int[] shape = TensorCodec.shape(r.getInputsEmbeds());
        int t = r.getInputIds().size();
        if (shape.length != 2 || shape[0] != t || shape[1] != d) {
            return Optional.of("inputs_embeds has shape " + Arrays.toString(shape) + ", expected [" + t + ", " + d
                    + "] for " + t + " input ids");
        }
        if (t >= model.decoder().config().maxPositionEmbeddings()) {
            return Optional.of("prompt of " + t + " tokens leaves no room in the context of "
                    + model.decoder().config().maxPositionEmbeddings());
        }
        return Optional.empty();
    }

    public ContinuousBatcher.Request request(Object tag, DecodeRequest r) {
        return new ContinuousBatcher.Request(tag, TensorCodec.floats(r.getInputsEmbeds()), r.getInputIds().size(),
                params);
    }

    public Output<Answer> answer(DecodeRequest r, Generation g) {
        StageTimings t = StageTimings.newBuilder(r.getTimings()).setPrefillMs(g.prefillNanos() / 1e6)
                .setDecodeMs(g.decodeNanos() / 1e6).setGeneratedTokens(g.tokenIds().length).build();
        Answer a = Answer.newBuilder().setTask(r.getTask()).setText(model.tokenizer().decode(g.tokenIds()))
                .setTokenIds(Arrays.stream(g.tokenIds()).boxed().toList())
                .setFinishReason(FinishReason.valueOf(g.finishReason().name())).setModelId(model.modelId())
                .setTimings(t).setError(null).setCompletedAt(clock.instant()).build();
        return new Output<>(Topics.ANSWERS, r.getTask().getTaskId(), a);
    }

    public Output<Answer> failed(DecodeRequest r, String errorType, String message) {
        return errors.of(r.getTask(), errorType, message, r.getTimings());
    }
}
