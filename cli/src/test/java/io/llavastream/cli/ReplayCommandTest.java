package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.llavastream.model.ModelDirectory;
import io.llavastream.pipeline.DemoLabels;
import io.llavastream.pipeline.EmbeddedPipeline;
import io.llavastream.pipeline.PipelineClient;
import io.llavastream.pipeline.PngPosts;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.ImageLabel;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Workers;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code replay} as a user runs it, against an embedded pipeline with the demo label set: by default each replayed
 * answer carries the labels its live answer carries; {@code --no-labels} replays without them.
 */
class ReplayCommandTest {
    static final int POSTS = 4;

    @Test
    void replayLabelsItsAnswersAsTheLivePipelineDidAndNoLabelsTurnsThatOff() throws Exception {
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8, Map.of(),
                Map.of(), DemoLabels.definitions(Instant.now()), null, System.err::println);
             PipelineClient client = pipeline.client()) {
            for (Scene s : new SceneGenerator(1357).scenes(0, POSTS)) {
                client.send(PngPosts.of("cmd-" + s.id(), "replay", SceneRenderer.png(s)));
            }
            client.flush();
            Map<String, List<ImageLabel>> live = new HashMap<>();
            client.read(Topics.ANSWERS, Duration.ofSeconds(120),
                    r -> live.put(r.value().getTask().getTaskId(), r.value().getLabels()), () -> live.size() >= POSTS);
            assertThat(live.values()).anyMatch(l -> !l.isEmpty());

            String[] kafka = {"--bootstrap-servers", pipeline.bootstrapServers(), "--schema-registry-url",
                    pipeline.registryUrl(), "--json"};
            JsonNode labelled = replay(kafka);
            assertThat(labelled.get("answers").asLong()).isEqualTo(POSTS);
            Map<String, List<ImageLabel>> replayed = replayedLabels(client, POSTS);
            assertThat(replayed).isEqualTo(live);

            replay(concat(kafka, "--no-labels"));
            Map<String, Integer> unlabelled = new HashMap<>();
            client.read(Topics.REPLAY_ANSWERS, Duration.ofSeconds(60), r -> {
                if (r.value().getLabels().isEmpty()) {
                    unlabelled.merge(r.value().getTask().getTaskId(), 1, Integer::sum);
                }
            }, () -> unlabelled.size() >= POSTS);
            assertThat(unlabelled).as("the second replay's answers have no labels").hasSize(POSTS);
        }
    }

    private static JsonNode replay(String... args) throws Exception {
        CliTest.Run r = CliTest.run(concat(new String[] {"replay"}, args));
        assertThat(r.exit()).isZero();
        assertThat(r.lines()).hasSize(1);
        return r.lines().get(0);
    }

    private static Map<String, List<ImageLabel>> replayedLabels(PipelineClient client, int n) {
        Map<String, List<ImageLabel>> out = new HashMap<>();
        client.read(Topics.REPLAY_ANSWERS, Duration.ofSeconds(60), r -> {
            Answer a = r.value();
            out.put(a.getTask().getTaskId(), a.getLabels());
        }, () -> out.size() >= n);
        return out;
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
