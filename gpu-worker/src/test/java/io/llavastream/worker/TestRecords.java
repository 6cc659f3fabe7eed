package io.llavastream.worker;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.ImageTasks;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.stage.BatchMachine;
import io.llavastream.stage.Finished;
import io.llavastream.stage.Output;
import io.llavastream.stage.StageMachine;
import io.llavastream.stage.StageResult;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Records for the worker tests, and stage machines that need no model. */
public final class TestRecords {
    private TestRecords() {
    }

    public static TaskRef task(String postId, int index, int count, byte[] image, String prompt) {
        return TaskRef.newBuilder()
                .setTaskId(ImageTasks.taskId(postId, index))
                .setPostId(postId)
                .setSource("test")
                .setImageIndex(index)
                .setImageCount(count)
                .setImageSha256(ImageTasks.sha256Hex(image))
                .setPrompt(prompt)
                .setReceivedAt(Instant.ofEpochMilli(1_700_000_000_000L))
                .build();
    }

    public static ImageTask imageTask(String postId, int index, int count, byte[] image) {
        TaskRef t = task(postId, index, count, image, PromptTemplate.captionPrompt());
        return ImageTask.newBuilder().setTask(t).setContentType("image/png").setImage(ByteBuffer.wrap(image))
                .build();
    }

    /** An answer to {@code t} with {@code text}, as the echo machines publish. */
    public static Output<Answer> answer(ImageTask t, String text) {
        Answer a = Answer.newBuilder().setTask(t.getTask()).setText(text).setTokenIds(List.of())
                .setFinishReason(FinishReason.EOS).setModelId("echo")
                .setTimings(StageTimings.newBuilder().build()).setCompletedAt(Instant.EPOCH).build();
        return new Output<>(Topics.ANSWERS, t.getTask().getTaskId(), a);
    }

    /**
     * What the echo machines do with a task, by its content type: "fail" is a per-record failure (with an
     * ERROR-like answer), "throw" makes every step it is in throw, "throw-once" only the first such step, "huge"
     * answers with text over the record limit; anything else is answered with the content type as text.
     */
    static StageResult echo(ImageTask t, Set<String> thrownOnce) {
        String type = t.getContentType();
        String id = t.getTask().getTaskId();
        if (type.equals("throw") || (type.equals("throw-once") && thrownOnce.add(id))) {
            throw new IllegalStateException("boom on " + id);
        }
        if (type.equals("fail")) {
            return failure(t, DeadLetterReason.BAD_PROMPT, "content type is fail");
        }
        if (type.equals("huge")) {
            return StageResult.ok(List.of(answer(t, "x".repeat(Topics.MAX_RECORD_BYTES + 1))));
        }
        return StageResult.ok(List.of(answer(t, type)));
    }

    static StageResult failure(ImageTask t, DeadLetterReason reason, String message) {
        return StageResult.failed(reason, message, List.of(answer(t, "error:" + reason)));
    }

    /** A batch machine on vision-requests that echoes each task; every batch's size is recorded. */
    public static class EchoMachine extends BatchMachine<ImageTask> {
        public final List<Integer> batchSizes = new ArrayList<>();
        private final Set<String> thrownOnce = new HashSet<>();

        public EchoMachine(int capacity) {
            super(capacity);
        }

        @Override
        public StageName stage() {
            return StageName.VISION;
        }

        @Override
        public Topic<ImageTask> input() {
            return Topics.VISION_REQUESTS;
        }

        @Override
        public List<StageResult> process(List<ImageTask> batch) {
            batchSizes.add(batch.size());
            return batch.stream().map(t -> echo(t, thrownOnce)).toList();
        }

        @Override
        public StageResult failed(ImageTask input, DeadLetterReason reason, String message) {
            return failure(input, reason, message);
        }
    }

    /**
     * A continuous machine on vision-requests: a task whose content type is "steps:N" finishes N steps after it
     * was submitted (so tasks finish out of order); other types finish at the next step as {@link #echo} says.
     * Counts its resets.
     */
    public static final class SlowEchoMachine implements StageMachine<ImageTask> {
        private final int capacity;
        private final Map<Object, ImageTask> running = new LinkedHashMap<>();
        private final Map<Object, Integer> stepsLeft = new LinkedHashMap<>();
        private final Set<String> thrownOnce = new HashSet<>();
        public int resets;
        public int steps;
        /** Runs at the start of every step: what a test observes while the machine works. */
        public Runnable onStep = () -> { };

        public SlowEchoMachine(int capacity) {
            this.capacity = capacity;
        }

        @Override
        public StageName stage() {
            return StageName.DECODE;
        }

        @Override
        public Topic<ImageTask> input() {
            return Topics.VISION_REQUESTS;
        }

        @Override
        public boolean continuous() {
            return true;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public int inFlight() {
            return running.size();
        }

        @Override
        public void submit(Object tag, ImageTask input) {
            String type = input.getContentType();
            int steps = type.startsWith("steps:") ? Integer.parseInt(type.substring(6)) : 1;
            running.put(tag, input);
            stepsLeft.put(tag, steps);
        }

        @Override
        public List<Finished> step() {
            steps++;
            onStep.run();
            List<Finished> out = new ArrayList<>();
            for (Object tag : List.copyOf(running.keySet())) {
                ImageTask t = running.get(tag);
                int left = stepsLeft.merge(tag, -1, Integer::sum);
                if (left <= 0) {
                    StageResult r = t.getContentType().startsWith("steps:")
                            ? StageResult.ok(List.of(answer(t, t.getContentType()))) : echo(t, thrownOnce);
                    running.remove(tag);
                    stepsLeft.remove(tag);
                    out.add(new Finished(tag, r));
                }
            }
            return out;
        }

        @Override
        public StageResult failed(ImageTask input, DeadLetterReason reason, String message) {
            return failure(input, reason, message);
        }

        @Override
        public void cancel(Collection<?> tags) {
            running.keySet().removeAll(tags);
            stepsLeft.keySet().removeAll(tags);
        }

        @Override
        public void reset() {
            resets++;
            running.clear();
            stepsLeft.clear();
        }

        @Override
        public void close() {
            reset();
        }
    }
}
