package io.llavastream.topology;

import static io.llavastream.topology.PipelineDriver.START;
import static io.llavastream.topology.PipelineDriver.post;
import static io.llavastream.topology.PipelineTopologyTest.BLUE;
import static io.llavastream.topology.PipelineTopologyTest.RED;
import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.rules.CacheKey;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.Post;
import io.llavastream.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README recipe run twice on one machine, as far as the topology is concerned: the second run, against a fresh
 * broker and registry, uses the state directory the first one left (as the default one under java.io.tmpdir is),
 * and the same post ids. Every post is captioned both times. The test answers the vision requests itself, as the
 * workers would; the topology, the broker and the state directory are real.
 */
@Timeout(300)
class RepeatedRunTest {
    /** Ids that land on each of the 6 partitions of the assembly, and images spread over the cache's partitions. */
    static final List<Post> POSTS = List.of(post("md-two-images", null, RED, BLUE), image("post-a"), image("post-e"),
            image("post-f"), image("post-g"), image("placeholder-post"));
    static final int IMAGES = 7;

    static Post image(String id) {
        return post(id, null, ("image of " + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** What one run saw. */
    record Run(List<CaptionedPost> captioned) {
    }

    @TempDir
    Path stateDir;

    /**
     * One run: a fresh broker and registry (handing out the same schema ids as the run before, so that stale state
     * would still decode), the topology over {@link #stateDir}, the posts, their
     * answers, the captioned posts.
     */
    Run run(boolean expectWipe) throws Exception {
        try (BrokerFixture kafka = new BrokerFixture();
             PipelineTopologyApp app = PipelineTopologyApp.start(kafka.bootstrapServers(),
                     BrokerFixture.config(stateDir, Map.of()), kafka.registry)) {
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            assertThat(app.wipedForeignState()).isEqualTo(expectWipe);
            POSTS.forEach(kafka::send);
            answerEveryImage(kafka, IMAGES);
            return new Run(kafka.readUntil(Topics.CAPTIONED_POSTS, Duration.ofSeconds(120),
                    out -> out.size() >= POSTS.size()).stream().map(ConsumerRecord::value).toList());
        }
    }

    /** Plays the stages: each vision request is answered, and its features cached, as the workers would. */
    static void answerEveryImage(BrokerFixture kafka, int images) {
        List<ConsumerRecord<String, ImageTask>> requests = kafka.readUntil(Topics.VISION_REQUESTS,
                Duration.ofSeconds(120), out -> out.size() >= images);
        for (ConsumerRecord<String, ImageTask> r : requests) {
            var task = r.value().getTask();
            kafka.send(Topics.VISION_FEATURES, CacheKey.of(task.getImageSha256(), PipelineDriver.MODEL),
                    PipelineDriver.features(task.getImageSha256()));
            kafka.send(Topics.ANSWERS, task.getTaskId(), PipelineDriver.answer(task, "caption of " + task.getTaskId(),
                    FinishReason.EOS, START));
        }
    }

    @Test
    void aSecondRunAgainstAFreshBrokerWithTheSameStateDirectoryCaptionsEveryPost() throws Exception {
        String[] ids = POSTS.stream().map(Post::getId).toArray(String[]::new);
        Run first = run(false);
        assertThat(first.captioned()).extracting(CaptionedPost::getPostId).containsExactlyInAnyOrder(ids);

        Run second = run(true);
        assertThat(second.captioned()).extracting(CaptionedPost::getPostId).containsExactlyInAnyOrder(ids);
        assertThat(second.captioned()).allSatisfy(c -> assertThat(c.getAnswers()).noneMatch(a -> a.getFailed()));
    }
}
