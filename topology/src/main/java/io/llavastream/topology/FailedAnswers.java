package io.llavastream.topology;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import java.util.List;

/** The answer for an image the topology refused: finish_reason ERROR, empty text, the dead letter's message. */
final class FailedAnswers {
    /** model_id of an answer no model produced. */
    static final String NO_MODEL = "";

    private FailedAnswers() {
    }

    static Answer of(TaskRef task, DeadLetter reason) {
        return Answer.newBuilder().setTask(task).setText("").setTokenIds(List.of()).setFinishReason(FinishReason.ERROR)
                .setModelId(NO_MODEL).setTimings(StageTimings.newBuilder().build())
                .setError(reason.getErrorType() + ": " + reason.getErrorMessage())
                .setCompletedAt(reason.getFailedAt()).build();
    }
}
