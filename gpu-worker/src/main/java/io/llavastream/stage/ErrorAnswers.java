package io.llavastream.stage;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.util.List;

/**
 * The answer for an image that failed before decoding: finish_reason ERROR, empty text, no tokens, the error, so
 * that the topology can still complete the image's post. The error reads {@code <reason>: <message>}. Keyed by task id like every answer.
 */
public final class ErrorAnswers {
    private final String modelId;
    private final Clock clock;

    public ErrorAnswers(String modelId, Clock clock) {
        this.modelId = modelId;
        this.clock = clock;
    }

    /** The ERROR answer for {@code task}; {@code timings} is what the image had spent so far (zeros if none). */
    public Output<Answer> of(TaskRef task, DeadLetterReason reason, String message, StageTimings timings) {
        Answer a = Answer.newBuilder()
                .setTask(task)
                .setText("")
                .setTokenIds(List.of())
                .setFinishReason(FinishReason.ERROR)
                .setModelId(modelId)
                .setTimings(timings)
                .setError(reason.name() + ": " + message)
                .setCompletedAt(clock.instant())
                .build();
        return new Output<>(Topics.ANSWERS, task.getTaskId(), a);
    }

    public Output<Answer> of(TaskRef task, DeadLetterReason reason, String message) {
        return of(task, reason, message, StageTimings.newBuilder().build());
    }
}
