package io.llavastream.topology;

import static io.llavastream.topology.PipelineDriver.START;
import static io.llavastream.topology.PipelineDriver.post;
import static io.llavastream.topology.PipelineDriver.values;
import static io.llavastream.topology.PipelineTopologyTest.BLUE;
import static io.llavastream.topology.PipelineTopologyTest.RED;
import static io.llavastream.topology.PipelineTopologyTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.TaskRef;
import io.llavastream.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tombstone, bytes that are not Avro and an unknown schema id on each topic the topology reads, and outputs over
 * their topic's limit: each becomes a dead letter with its reason, and the next record flows. (The topology no
 * longer reads vision-features: the vision worker's cache reader has its own tests, VisionCacheRestorerTest.)
 */
class HostileRecordsTopologyTest {
    static final byte[] JSON = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path stateDir;
    PipelineDriver p;

    @AfterEach
    void close() {
        if (p != null) {
            p.close();
        }
    }

    /** Exactly_once_v2, as in production: dead letters from processors and production handlers. */
    PipelineDriver driver(Map<String, Object> settings) {
        p = new PipelineDriver(stateDir, settings);
        return p;
    }

    /** At least once: dead letters from the deserialization handler reach the driver's output only so. */
    PipelineDriver driverForSourceDeserialization() {
        p = new PipelineDriver(stateDir, Map.of(), StreamsConfig.AT_LEAST_ONCE);
        return p;
    }

    static DeadLetter only(List<DeadLetter> letters, String reason, String topic) {
        assertThat(letters).hasSize(1);
        DeadLetter d = letters.get(0);
        assertThat(d.getErrorType()).isEqualTo(reason);
        assertThat(d.getTopic()).isEqualTo(topic);
        assertThat(d.getStage()).isEqualTo("topology");
        assertThat(d.getErrorMessage()).isNotBlank();
        return d;
    }

    List<TaskRef> twoImageTasks() {
        p.posts.pipeInput("p9", post("p9", null, RED, BLUE));
        return values(p.visionRequests).stream().map(ImageTask::getTask).toList();
    }

    void answerBoth(List<TaskRef> tasks) {
        p.answers.pipeInput("p9/0", PipelineDriver.answer(tasks.get(0), "a red square", FinishReason.EOS, START));
        p.answers.pipeInput("p9/1", PipelineDriver.answer(tasks.get(1), "a blue circle", FinishReason.EOS, START));
    }

    @Test
    void tombstoneOnPostsIsDeadLetteredAsNullValueAndTheNextPostFlows() {
        driver(Map.of()).postBytes.pipeInput("gone", (byte[]) null);
        DeadLetter d = only(values(p.deadLetters), "NULL_VALUE", Topics.POSTS.name());
        assertThat(d.getValue()).isNull();
        assertThat(bytes(d.getKey())).isEqualTo("gone".getBytes(StandardCharsets.UTF_8));
        p.posts.pipeInput("good", post("good", null, RED));
        assertThat(values(p.visionRequests)).hasSize(1);
    }

    /** The validator's, the handler's and the output check's dead letters are each counted under their reason. */
    @Test
    void everyDeadLetterIsCountedUnderItsReasonForTheMetrics() {
        driver(Map.of()).postBytes.pipeInput("gone", (byte[]) null);
        List<TaskRef> tasks = twoImageTasks();
        p.rawInput(Topics.ANSWERS).pipeInput("p9/0", JSON);
        p.rawInput(Topics.ANSWERS).pipeInput("p9/1", JSON);
        Post big = post("big-body", null, RED);
        big.setBody("x".repeat(600_000));
        p.postBytes.pipeInput("big-body", p.bytes(big));
        assertThat(values(p.deadLetters).stream().map(DeadLetter::getErrorType).toList())
                .containsExactly("NULL_VALUE", "NOT_AVRO", "NOT_AVRO", "RECORD_TOO_LARGE");
        assertThat(p.deadLetterCounts.count("NULL_VALUE")).isEqualTo(1);
        assertThat(p.deadLetterCounts.count("NOT_AVRO")).isEqualTo(2);
        assertThat(p.deadLetterCounts.count("RECORD_TOO_LARGE")).isEqualTo(1);
        assertThat(p.deadLetterCounts.count("TIMEOUT")).isZero();
        answerBoth(tasks);
        assertThat(values(p.captioned)).hasSize(1);
    }

    @Test
    void tombstoneOnAnswersIsDeadLetteredAsNullValueAndAssemblyGoesOn() {
        driver(Map.of());
        List<TaskRef> tasks = twoImageTasks();
        p.rawInput(Topics.ANSWERS).pipeInput("p9/0", (byte[]) null);
        DeadLetter d = only(values(p.deadLetters), "NULL_VALUE", Topics.ANSWERS.name());
        assertThat(bytes(d.getKey())).isEqualTo("p9/0".getBytes(StandardCharsets.UTF_8));
        answerBoth(tasks);
        assertThat(values(p.captioned)).hasSize(1);
    }

    @Test
    void notAvroOnAnswersIsDeadLetteredWithItsBytesAndAssemblyGoesOn() {
        driver(Map.of());
        List<TaskRef> tasks = twoImageTasks();
        p.rawInput(Topics.ANSWERS).pipeInput("p9/0", JSON);
        assertThat(bytes(only(values(p.deadLetters), "NOT_AVRO", Topics.ANSWERS.name()).getValue())).isEqualTo(JSON);
        answerBoth(tasks);
        assertThat(values(p.captioned)).hasSize(1);
    }

    @Test
    void unknownSchemaIdOnAnswersIsDeadLetteredAndAssemblyGoesOn() {
        driver(Map.of());
        List<TaskRef> tasks = twoImageTasks();
        byte[] bytes = p.bytes(Topics.ANSWERS, PipelineDriver.answer(tasks.get(0), "x", FinishReason.EOS, START));
        bytes[4] = 99;
        p.rawInput(Topics.ANSWERS).pipeInput("p9/0", bytes);
        assertThat(only(values(p.deadLetters), "UNKNOWN_SCHEMA_ID", Topics.ANSWERS.name()).getErrorMessage())
                .contains("schema id 99");
        answerBoth(tasks);
        assertThat(values(p.captioned)).hasSize(1);
    }

    @Test
    void postWhoseTextWouldNotFitItsCaptionedPostIsDeadLetteredAsRecordTooLarge() {
        driver(Map.of());
        Post big = post("big-body", null, RED);
        big.setBody("x".repeat(600_000));
        byte[] bytes = p.bytes(big);
        p.postBytes.pipeInput("big-body", bytes);
        DeadLetter d = only(values(p.deadLetters), "RECORD_TOO_LARGE", Topics.POSTS.name());
        assertThat(bytes(d.getValue())).isEqualTo(bytes);
        assertThat(d.getErrorMessage()).contains("1200000 bytes of text", Topics.CAPTIONED_POSTS.name());
        assertThat(p.visionRequests.isEmpty()).isTrue();
    }

    @Test
    void captionedPostOverItsTopicLimitIsDeadLetteredWithTheAnswerThatCompletedIt() {
        String hugeFormat = "{caption}" + "-".repeat(600_000);
        driver(Map.of(PipelineConfig.CAPTION_FORMAT_CONFIG, hugeFormat));
        List<TaskRef> tasks = twoImageTasks();
        answerBoth(tasks);
        assertThat(p.captioned.isEmpty()).isTrue();
        DeadLetter d = only(values(p.deadLetters), "RECORD_TOO_LARGE",
                "llava-topology-" + TopologyNames.POST_PARTS_BY_POST + "-repartition");
        assertThat(d.getErrorMessage()).contains("CaptionedPost for " + Topics.CAPTIONED_POSTS.name(),
                "over the limit of " + RecordLimits.maxValueBytes(Topics.CAPTIONED_POSTS));
        assertThat(d.getValue()).as("the answer's bytes, as read").isNotNull();

        p.posts.pipeInput("next", post("next", null, RED));
        Answer a = PipelineDriver.answer(values(p.visionRequests).get(0).getTask(), "x", FinishReason.EOS, START);
        p.answers.pipeInput("next/0", a);
        List<CaptionedPost> out = values(p.captioned);
        assertThat(out).as("one image: fits").hasSize(1);
    }
}
