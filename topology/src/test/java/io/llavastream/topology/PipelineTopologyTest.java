package io.llavastream.topology;

import static io.llavastream.topology.PipelineDriver.MODEL;
import static io.llavastream.topology.PipelineDriver.START;
import static io.llavastream.topology.PipelineDriver.answer;
import static io.llavastream.topology.PipelineDriver.post;
import static io.llavastream.topology.PipelineDriver.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.TaskRef;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineTopologyTest {
    static final byte[] RED = "red square png".getBytes(StandardCharsets.UTF_8);
    static final byte[] BLUE = "blue circle png".getBytes(StandardCharsets.UTF_8);
    static final String DEFAULT_PROMPT = "USER: <image>\ndescribe the image. ASSISTANT:";

    @TempDir
    Path stateDir;
    PipelineDriver p;

    PipelineDriver driver(Map<String, Object> settings) {
        p = new PipelineDriver(stateDir, settings);
        return p;
    }

    @AfterEach
    void close() {
        if (p != null) {
            p.close();
        }
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** The only dead letter, checked to keep the original record and to name the reason. */
    static DeadLetter onlyDeadLetter(PipelineDriver p, String reason, byte[] originalValue) {
        List<TestRecord<String, DeadLetter>> out = p.deadLetters.readRecordsToList();
        assertThat(out).hasSize(1);
        DeadLetter d = out.get(0).value();
        assertThat(d.getErrorType()).isEqualTo(reason);
        assertThat(d.getStage()).isEqualTo("topology");
        assertThat(d.getTopic()).isEqualTo(Topics.POSTS.name());
        assertThat(d.getOffset()).isGreaterThanOrEqualTo(0);
        assertThat(bytes(d.getValue())).isEqualTo(originalValue);
        assertThat(d.getErrorMessage()).isNotBlank();
        return d;
    }

    void assertNextGoodPostStillFlows(PipelineDriver p) {
        p.posts.pipeInput("good", post("good", null, RED));
        assertThat(values(p.visionRequests)).extracting(t -> t.getTask().getTaskId()).containsExactly("good/0");
    }

    @Test
    void twoImagePostYieldsTwoVisionRequestsWithTaskRefsAndSha256() throws Exception {
        driver(Map.of()).posts.pipeInput("p1", post("p1", null, RED, BLUE));

        List<TestRecord<String, ImageTask>> out = p.visionRequests.readRecordsToList();
        assertThat(out).extracting(TestRecord::key).containsExactly("p1/0", "p1/1");
        for (int i = 0; i < 2; i++) {
            TaskRef t = out.get(i).value().getTask();
            byte[] image = i == 0 ? RED : BLUE;
            assertThat(t.getTaskId()).isEqualTo("p1/" + i);
            assertThat(t.getPostId()).isEqualTo("p1");
            assertThat(t.getSource()).isEqualTo("forum");
            assertThat(t.getImageIndex()).isEqualTo(i);
            assertThat(t.getImageCount()).isEqualTo(2);
            assertThat(t.getImageSha256()).isEqualTo(sha256(image));
            assertThat(t.getPrompt()).isEqualTo(DEFAULT_PROMPT);
            assertThat(t.getReceivedAt()).isEqualTo(START);
            assertThat(bytes(out.get(i).value().getImage())).isEqualTo(image);
            assertThat(out.get(i).value().getContentType()).isEqualTo("image/png");
        }
        assertThat(p.deadLetters.isEmpty()).isTrue();
    }

    @Test
    void postWithQuestionUsesItInThePrompt() {
        driver(Map.of()).posts.pipeInput("q", post("q", "what colour is the square?", RED));
        assertThat(values(p.visionRequests)).extracting(t -> t.getTask().getPrompt())
                .containsExactly("USER: <image>\nwhat colour is the square? ASSISTANT:");
    }

    @Test
    void configuredDefaultPromptIsUsedWithoutQuestion() {
        driver(Map.of(PipelineConfig.DEFAULT_PROMPT_CONFIG, "USER: <image>\nwhat is it? ASSISTANT:"))
                .posts.pipeInput("d", post("d", null, RED));
        assertThat(values(p.visionRequests)).extracting(t -> t.getTask().getPrompt())
                .containsExactly("USER: <image>\nwhat is it? ASSISTANT:");
    }

    @Test
    void aRepeatedImageGoesToTheVisionStageAgainWhoseWorkerKeepsTheCache() throws Exception {
        driver(Map.of()).posts.pipeInput("p2", post("p2", null, RED));
        p.posts.pipeInput("p3", post("p3", null, RED, BLUE));
        assertThat(p.visionRequests.readKeyValuesToList()).extracting(kv -> kv.key)
                .containsExactly("p2/0", "p3/0", "p3/1");
    }

    @Test
    void visionRequestsGoToThePartitionOfTheirCacheKeyOnVisionFeaturesUnderTheConfiguredVisionModel() throws Exception {
        driver(Map.of()).posts.pipeInput("p3", post("p3", null, RED));
        ImageTask task = values(p.visionRequests).get(0);
        int n = Topics.VISION_FEATURES.partitions();
        for (String model : List.of(MODEL, "other/model")) {
            byte[] key = (sha256(RED) + "|" + model).getBytes(StandardCharsets.UTF_8);
            assertThat(new CacheKeyPartitioner(model).partitions(Topics.VISION_REQUESTS.name(), "p3/0", task, n))
                    .as("where a producer puts the features of %s", model)
                    .contains(java.util.Set.of(org.apache.kafka.clients.producer.internals.BuiltInPartitioner
                            .partitionForKey(key, n)));
        }
    }

    @Test
    void notAvroBytesBecomeDeadLetterWithOriginalBytesAndNextPostFlows() {
        byte[] json = "{\"id\":\"p\"}".getBytes(StandardCharsets.UTF_8);
        driver(Map.of()).postBytes.pipeInput("bad", json);
        DeadLetter d = onlyDeadLetter(p, "NOT_AVRO", json);
        assertThat(bytes(d.getKey())).isEqualTo("bad".getBytes(StandardCharsets.UTF_8));
        assertThat(d.getPartition()).isZero();
        assertNextGoodPostStillFlows(p);
    }

    @Test
    void unknownSchemaIdBecomesDeadLetterAndNextPostFlows() {
        driver(Map.of());
        byte[] bytes = p.bytes(post("u", null, RED));
        bytes[4] = 99;
        p.postBytes.pipeInput("u", bytes);
        assertThat(onlyDeadLetter(p, "UNKNOWN_SCHEMA_ID", bytes).getErrorMessage()).contains("schema id 99");
        assertNextGoodPostStillFlows(p);
    }

    @Test
    void postWithoutImagesBecomesDeadLetterAndNextPostFlows() {
        driver(Map.of());
        byte[] bytes = p.bytes(post("empty", null));
        p.postBytes.pipeInput("empty", bytes);
        assertThat(onlyDeadLetter(p, "NO_IMAGES", bytes).getErrorMessage()).contains("empty");
        assertThat(p.visionRequests.isEmpty()).isTrue();
        assertNextGoodPostStillFlows(p);
    }

    @Test
    void postWithMoreImagesThanTheLimitBecomesDeadLetterAndNextPostFlows() {
        driver(Map.of(PipelineConfig.MAX_IMAGES_PER_POST_CONFIG, 2));
        byte[] bytes = p.bytes(post("many", null, RED, BLUE, RED));
        p.postBytes.pipeInput("many", bytes);
        assertThat(onlyDeadLetter(p, "TOO_MANY_IMAGES", bytes).getErrorMessage()).contains("3 images");
        assertThat(p.visionRequests.isEmpty()).isTrue();
        assertNextGoodPostStillFlows(p);
    }

    @Test
    void oversizedImageBecomesDeadLetterAndErrorAnswerWhileTheOtherImageGoesOn() {
        byte[] big = new byte[100];
        driver(Map.of(PipelineConfig.MAX_IMAGE_BYTES_CONFIG, 50));
        byte[] bytes = p.bytes(post("big", null, RED, big));
        p.postBytes.pipeInput("big", bytes);

        assertThat(onlyDeadLetter(p, "IMAGE_TOO_LARGE", bytes).getErrorMessage()).contains("100 bytes");
        assertThat(p.visionRequests.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("big/0");
        List<TestRecord<String, Answer>> errors = p.answersOut.readRecordsToList();
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).key()).isEqualTo("big/1");
        assertThat(errors.get(0).value().getFinishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(errors.get(0).value().getText()).isEmpty();
        assertThat(errors.get(0).value().getError()).contains("IMAGE_TOO_LARGE");
        assertThat(p.captioned.isEmpty()).isTrue();
        assertNextGoodPostStillFlows(p);
    }

    @Test
    void postWhoseOnlyImageIsOversizedCompletesWithThatImageFailed() {
        driver(Map.of(PipelineConfig.MAX_IMAGE_BYTES_CONFIG, 10)).posts.pipeInput("big", post("big", null, RED));
        List<CaptionedPost> out = values(p.captioned);
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getAnswers()).singleElement().satisfies(a -> {
            assertThat(a.getFailed()).isTrue();
            assertThat(a.getText()).isEmpty();
            assertThat(a.getError()).contains("IMAGE_TOO_LARGE");
        });
    }

    /** Sends a two-image post and returns its two tasks, as the vision stage received them. */
    List<TaskRef> twoImageTasks() {
        p.posts.pipeInput("p9", post("p9", null, RED, BLUE));
        return values(p.visionRequests).stream().map(ImageTask::getTask).toList();
    }

    @Test
    void answersForBothImagesProduceOneCaptionedPostInImageOrder() {
        driver(Map.of());
        List<TaskRef> tasks = twoImageTasks();
        Instant t1 = START.plusSeconds(5);
        Instant t0 = START.plusSeconds(3);
        p.answers.pipeInput("p9/1", answer(tasks.get(1), "a blue circle", FinishReason.EOS, t1));
        assertThat(p.captioned.isEmpty()).isTrue();
        p.answers.pipeInput("p9/0", answer(tasks.get(0), "a red square", FinishReason.EOS, t0));

        List<TestRecord<String, CaptionedPost>> out = p.captioned.readRecordsToList();
        assertThat(out).hasSize(1);
        CaptionedPost c = out.get(0).value();
        assertThat(out.get(0).key()).isEqualTo("p9");
        assertThat(c.getPostId()).isEqualTo("p9");
        assertThat(c.getSource()).isEqualTo("forum");
        assertThat(c.getReceivedAt()).isEqualTo(START);
        assertThat(c.getCompletedAt()).isEqualTo(t1);
        assertThat(c.getAnswers()).extracting(ImageAnswer::getImageIndex).containsExactly(0, 1);
        assertThat(c.getAnswers()).extracting(ImageAnswer::getText).containsExactly("a red square", "a blue circle");
        assertThat(c.getAnswers()).extracting(ImageAnswer::getImageSha256)
                .containsExactly(tasks.get(0).getImageSha256(), tasks.get(1).getImageSha256());
        assertThat(c.getAnswers()).extracting(ImageAnswer::getFailed).containsExactly(false, false);
        assertThat(c.getAnswers()).extracting(ImageAnswer::getModelId).containsOnly(MODEL);
    }

    @Test
    void duplicateAnswerNeitherCompletesThePostEarlyNorEmitsItTwice() {
        driver(Map.of());
        List<TaskRef> tasks = twoImageTasks();
        Answer first = answer(tasks.get(0), "a red square", FinishReason.EOS, START);
        p.answers.pipeInput("p9/0", first);
        p.answers.pipeInput("p9/0", first);
        assertThat(p.captioned.isEmpty()).isTrue();

        p.answers.pipeInput("p9/1", answer(tasks.get(1), "a blue circle", FinishReason.EOS, START));
        p.answers.pipeInput("p9/1", answer(tasks.get(1), "a blue circle", FinishReason.EOS, START));
        p.answers.pipeInput("p9/0", first);
        assertThat(values(p.captioned)).hasSize(1);
    }

    @Test
    void failedAnswerMarksTheImageFailed() {
        driver(Map.of());
        List<TaskRef> tasks = twoImageTasks();
        p.answers.pipeInput("p9/0", answer(tasks.get(0), "ignored", FinishReason.ERROR, START));
        p.answers.pipeInput("p9/1", answer(tasks.get(1), "a blue circle", FinishReason.EOS, START));

        List<ImageAnswer> a = values(p.captioned).get(0).getAnswers();
        assertThat(a.get(0).getFailed()).isTrue();
        assertThat(a.get(0).getText()).isEmpty();
        assertThat(a.get(0).getError()).isEqualTo("CORRUPT_IMAGE: not an image");
        assertThat(a.get(1).getFailed()).isFalse();
        assertThat(a.get(1).getError()).isNull();
    }

    @Test
    void answerThatIsNotAvroBecomesDeadLetterAndAssemblyGoesOn() {
        p = new PipelineDriver(stateDir, Map.of(), StreamsConfig.AT_LEAST_ONCE);
        List<TaskRef> tasks = twoImageTasks();
        p.driver.createInputTopic(Topics.ANSWERS.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer())
                .pipeInput("p9/0", new byte[] {1, 2, 3});
        p.answers.pipeInput("p9/0", answer(tasks.get(0), "a red square", FinishReason.EOS, START));
        p.answers.pipeInput("p9/1", answer(tasks.get(1), "a blue circle", FinishReason.EOS, START));
        assertThat(values(p.captioned)).hasSize(1);
        assertThat(values(p.deadLetters)).singleElement().satisfies(d -> {
            assertThat(d.getErrorType()).isEqualTo("NOT_AVRO");
            assertThat(d.getTopic()).isEqualTo(Topics.ANSWERS.name());
            assertThat(bytes(d.getKey())).isEqualTo("p9/0".getBytes(StandardCharsets.UTF_8));
            assertThat(bytes(d.getValue())).containsExactly(1, 2, 3);
        });
    }

    @Test
    void answerWithImageIndexOutsideItsPostBecomesDeadLetter() {
        driver(Map.of());
        TaskRef bad = TaskRef.newBuilder(twoImageTasks().get(1)).setImageIndex(7).build();
        p.answers.pipeInput("p9/7", answer(bad, "x", FinishReason.EOS, START));
        assertThat(values(p.deadLetters)).singleElement().satisfies(d -> {
            assertThat(d.getErrorType()).isEqualTo(PostAssembler.INVALID_ANSWER);
            assertThat(d.getErrorMessage()).contains("image_index 7");
        });
        assertThat(p.captioned.isEmpty()).isTrue();
    }
}
