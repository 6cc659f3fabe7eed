package io.llavastream.worker;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Records for the worker tests, and a stage that needs no model. */
final class TestRecords {
    private TestRecords() {
    }

    static TaskRef task(String postId, int index, int count, byte[] image, String prompt) {
        return TaskRef.newBuilder()
                .setTaskId(postId + "/" + index)
                .setPostId(postId)
                .setSource("test")
                .setImageIndex(index)
                .setImageCount(count)
                .setImageSha256(VisionStage.sha256(image))
                .setPrompt(prompt)
                .setReceivedAt(Instant.ofEpochMilli(1_700_000_000_000L))
                .build();
    }

    static Input<ImageTask> imageTask(String postId, int index, int count, byte[] image) {
        TaskRef t = task(postId, index, count, image, PromptTemplate.captionPrompt());
        return new Input<>(t.getTaskId(), ImageTask.newBuilder().setTask(t).setContentType("image/png")
                .setImage(ByteBuffer.wrap(image)).build());
    }

    /**
     * A stage on vision-requests that answers each task with its content type as text. Content type "fail" is a
     * per-record failure (with an ERROR-like answer), "throw" makes {@link #process} throw; every call's batch size
     * is recorded.
     */
    static final class EchoStage implements Stage<ImageTask> {
        final List<Integer> batchSizes = new ArrayList<>();

        @Override
        public String name() {
            return "echo";
        }

        @Override
        public Topic<ImageTask> input() {
            return Topics.VISION_REQUESTS;
        }

        @Override
        public List<StageResult> process(List<Input<ImageTask>> batch) {
            batchSizes.add(batch.size());
            List<StageResult> out = new ArrayList<>();
            for (Input<ImageTask> in : batch) {
                String type = in.value().getContentType();
                if (type.equals("throw")) {
                    throw new IllegalStateException("boom on " + in.key());
                }
                out.add(type.equals("fail") ? failed(in, "BAD_TYPE", "content type is fail")
                        : StageResult.ok(List.of(answer(in, type))));
            }
            return out;
        }

        @Override
        public StageResult failed(Input<ImageTask> in, String errorType, String message) {
            return StageResult.failed(errorType, message, List.of(answer(in, "error:" + errorType)));
        }

        private static Output<Answer> answer(Input<ImageTask> in, String text) {
            Answer a = Answer.newBuilder().setTask(in.value().getTask()).setText(text).setTokenIds(List.of())
                    .setFinishReason(FinishReason.EOS).setModelId("echo")
                    .setTimings(StageTimings.newBuilder().build()).setCompletedAt(Instant.EPOCH).build();
            return new Output<>(Topics.ANSWERS, in.key(), a);
        }
    }
}
