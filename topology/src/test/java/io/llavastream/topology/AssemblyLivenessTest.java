package io.llavastream.topology;

import static io.llavastream.topology.PipelineDriver.START;
import static io.llavastream.topology.PipelineDriver.answer;
import static io.llavastream.topology.PipelineDriver.post;
import static io.llavastream.topology.PipelineDriver.values;
import static io.llavastream.topology.PipelineTopologyTest.BLUE;
import static io.llavastream.topology.PipelineTopologyTest.RED;
import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.TaskRef;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Post timeouts, the bounds of the assembly's stores, and duplicate post ids, with the driver's wall clock. */
class AssemblyLivenessTest {
    static final long TIMEOUT_MS = 60_000;
    static final long RETENTION_MS = 120_000;

    @TempDir
    Path stateDir;
    PipelineDriver p;

    PipelineDriver driver(Map<String, Object> extra) {
        Map<String, Object> settings = new HashMap<>(Map.of(PipelineConfig.POST_TIMEOUT_MS_CONFIG, TIMEOUT_MS,
                PipelineConfig.COMPLETED_POST_RETENTION_MS_CONFIG, RETENTION_MS));
        settings.putAll(extra);
        p = new PipelineDriver(stateDir, settings);
        return p;
    }

    @AfterEach
    void close() {
        if (p != null) {
            p.close();
        }
    }

    List<TaskRef> split(String id, byte[]... images) {
        p.posts.pipeInput(id, post(id, null, images));
        return values(p.visionRequests).stream().map(ImageTask::getTask).toList();
    }

    void answer(TaskRef task, String text) {
        p.answers.pipeInput(task.getTaskId(), PipelineDriver.answer(task, text, FinishReason.EOS, START));
    }

    KeyValueStore<String, Object> store(String name) {
        return p.driver.getKeyValueStore(name);
    }

    long entries(String store) {
        long n = 0;
        try (var all = store(store).all()) {
            while (all.hasNext()) {
                all.next();
                n++;
            }
        }
        return n;
    }

    void advance(long ms) {
        p.driver.advanceWallClockTime(Duration.ofMillis(ms));
    }

    @Test
    void postMissingAnAnswerCompletesAfterTheTimeoutWithThatImageFailedAndItsStateFreed() {
        driver(Map.of());
        List<TaskRef> tasks = split("p9", RED, BLUE);
        answer(tasks.get(0), "a red square");
        advance(TIMEOUT_MS - 1000);
        assertThat(p.captioned.isEmpty()).as("not before post.timeout.ms").isTrue();

        advance(2000);
        List<CaptionedPost> out = values(p.captioned);
        assertThat(out).singleElement().satisfies(c -> {
            assertThat(c.getAnswers()).extracting(ImageAnswer::getFailed).containsExactly(false, true);
            ImageAnswer missing = c.getAnswers().get(1);
            assertThat(missing.getImageIndex()).isEqualTo(1);
            assertThat(missing.getError()).startsWith("TIMEOUT: no answer within post.timeout.ms = 60000 ms");
            assertThat(c.getRenderedBody()).contains("[Image: a red square]", "[Image: failed: TIMEOUT: no answer");
        });
        List<DeadLetter> letters = values(p.deadLetters);
        assertThat(letters).singleElement().satisfies(d -> {
            assertThat(d.getErrorType()).isEqualTo("TIMEOUT");
            assertThat(PipelineTopologyTest.bytes(d.getKey())).isEqualTo("p9/1".getBytes(StandardCharsets.UTF_8));
            assertThat(d.getValue()).isNull();
            assertThat(d.getOffset()).isEqualTo(-1);
            assertThat(d.getErrorMessage()).contains("image 1 of post p9", "post.timeout.ms");
        });
        assertThat(entries(TopologyNames.PENDING_POSTS_STORE)).isZero();
        assertThat(entries(TopologyNames.PENDING_BY_TIME_STORE)).isZero();
    }

    @Test
    void postWithNoAnswerAtAllTimesOutWithEveryImageFailed() {
        driver(Map.of());
        split("lost", RED, BLUE);
        advance(TIMEOUT_MS + 1000);
        assertThat(values(p.captioned)).singleElement().satisfies(c -> assertThat(c.getAnswers())
                .extracting(ImageAnswer::getFailed).containsExactly(true, true));
        assertThat(values(p.deadLetters)).extracting(DeadLetter::getErrorType).containsExactly("TIMEOUT", "TIMEOUT");
    }

    @Test
    void answerArrivingAfterTheTimeoutDoesNotEmitThePostAgain() {
        driver(Map.of());
        List<TaskRef> tasks = split("late", RED, BLUE);
        answer(tasks.get(0), "a red square");
        advance(TIMEOUT_MS + 1000);
        assertThat(values(p.captioned)).hasSize(1);
        p.deadLetters.readRecordsToList();

        answer(tasks.get(1), "a blue circle");
        assertThat(p.captioned.isEmpty()).isTrue();
        assertThat(entries(TopologyNames.PENDING_POSTS_STORE)).isZero();
    }

    @Test
    void answerForAForgottenPostIsDeadLetteredAsTimeoutInsteadOfStartingItAgain() {
        driver(Map.of());
        List<TaskRef> tasks = split("one", RED);
        Answer a = PipelineDriver.answer(tasks.get(0), "a red square", FinishReason.EOS, START);
        p.answers.pipeInput("one/0", a);
        assertThat(values(p.captioned)).hasSize(1);

        advance(RETENTION_MS + 1000);
        assertThat(entries(TopologyNames.COMPLETED_POSTS_STORE)).as("forgotten after the retention").isZero();
        p.answers.pipeInput("one/0", a);
        assertThat(p.captioned.isEmpty()).isTrue();
        assertThat(values(p.deadLetters)).singleElement().satisfies(d -> {
            assertThat(d.getErrorType()).isEqualTo("TIMEOUT");
            assertThat(d.getErrorMessage()).contains("answer one/0", "post.timeout.ms = 60000");
        });
        assertThat(entries(TopologyNames.PENDING_POSTS_STORE)).isZero();
    }

    @Test
    void completedPostsAreForgottenAfterTheRetentionAndNotBefore() {
        driver(Map.of());
        for (String id : List.of("a", "b")) {
            answer(split(id, RED).get(0), "a red square");
        }
        assertThat(entries(TopologyNames.COMPLETED_POSTS_STORE)).isEqualTo(2);
        advance(RETENTION_MS - 1000);
        assertThat(entries(TopologyNames.COMPLETED_POSTS_STORE)).isEqualTo(2);
        advance(2000);
        assertThat(entries(TopologyNames.COMPLETED_POSTS_STORE)).isZero();
        assertThat(entries(TopologyNames.COMPLETED_BY_TIME_STORE)).isZero();
    }

    @Test
    void overMaxPendingPostsTheOldestPendingPostCompletesAsTimeoutAtOnce() {
        driver(Map.of(PipelineConfig.MAX_PENDING_POSTS_CONFIG, 2));
        split("first", RED);
        advance(100);
        split("second", RED);
        advance(100);
        assertThat(p.captioned.isEmpty()).isTrue();

        split("third", RED);
        assertThat(values(p.captioned)).singleElement().satisfies(c -> {
            assertThat(c.getPostId()).isEqualTo("first");
            assertThat(c.getAnswers().get(0).getError()).contains("TIMEOUT: evicted: more than max.pending.posts = 2");
        });
        assertThat(values(p.deadLetters)).extracting(DeadLetter::getErrorType).containsExactly("TIMEOUT");
        assertThat(entries(TopologyNames.PENDING_POSTS_STORE)).isEqualTo(2);
    }

    @Test
    void samePostIdWhilePendingGivesOneCaptionedPostWithEachImageAnsweredOnce() {
        driver(Map.of());
        List<TaskRef> first = split("dup", RED, BLUE);
        List<TaskRef> second = split("dup", RED, BLUE);
        assertThat(second).extracting(TaskRef::getTaskId).containsExactly("dup/0", "dup/1");
        answer(first.get(0), "a red square");
        answer(second.get(0), "a red square, again");
        answer(second.get(1), "a blue circle");
        answer(first.get(1), "a blue circle, again");
        assertThat(values(p.captioned)).singleElement().satisfies(c -> assertThat(c.getAnswers())
                .extracting(ImageAnswer::getText).containsExactly("a red square", "a blue circle"));
    }

    @Test
    void samePostIdAfterCompletionIsNotEmittedAgainWithinTheRetentionButIsAfterIt() {
        driver(Map.of());
        answer(split("again", RED).get(0), "a red square");
        assertThat(values(p.captioned)).hasSize(1);

        answer(split("again", RED).get(0), "a red square");
        assertThat(p.captioned.isEmpty()).as("within completed.post.retention.ms").isTrue();
        assertThat(entries(TopologyNames.PENDING_POSTS_STORE)).isZero();

        advance(RETENTION_MS + 1000);
        answer(split("again", RED).get(0), "a red square");
        assertThat(values(p.captioned)).as("after it: a new post").hasSize(1);
        assertThat(p.deadLetters.isEmpty()).isTrue();
    }
}
