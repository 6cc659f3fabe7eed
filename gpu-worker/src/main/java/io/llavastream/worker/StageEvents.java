package io.llavastream.worker;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.FinishReason;
import io.llavastream.stage.Output;
import io.llavastream.stage.StageResult;
import org.apache.avro.specific.SpecificRecord;

/**
 * What a {@link StageDriver} tells its observer (the metrics, {@code io.llavastream.metrics.StageMeters}) as it
 * works, on the driver's thread: each submit, each compute step, each decoded answer. Counted when it happens,
 * before the transaction commits, so work redone after an abort is told again. Reads and writes no topic.
 */
public interface StageEvents {
    /** Tells nothing. */
    StageEvents NONE = new StageEvents() {
    };

    /** An input entered the machine {@code millis} after its record's timestamp (queue time). */
    default void queued(long millis) {
    }

    /** One compute call of the machine over {@code batchSize} inputs took {@code nanos}. */
    default void stepped(int batchSize, long nanos) {
    }

    /** The decode stage answered a request of {@code promptTokens} ids (a failed answer is not told). */
    default void answered(int promptTokens, Answer answer) {
    }

    /** Tells {@link #answered} for each answer in {@code result} made from a decode request. */
    default void finished(SpecificRecord input, StageResult result) {
        if (!(input instanceof DecodeRequest request) || result.isFailure()) {
            return;
        }
        for (Output<?> o : result.outputs()) {
            if (o.value() instanceof Answer a && a.getFinishReason() != FinishReason.ERROR) {
                answered(request.getInputIds().size(), a);
            }
        }
    }
}
