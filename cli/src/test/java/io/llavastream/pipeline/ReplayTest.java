package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.schemas.Answer;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.rules.PostChecks;
import io.llavastream.rules.PromptRule;
import io.llavastream.rules.SourcePrompts;
import io.llavastream.schemas.Post;
import io.llavastream.topics.Topics;
import io.llavastream.topology.PipelineConfig;
import java.util.List;
import io.llavastream.worker.Workers;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay with a second model version (the same vision tower, another model id) writes a second set of answers
 * tagged with its id, leaves the live answers untouched, and takes every image's features from the vision cache.
 */
class ReplayTest {
    static final int POSTS = 12;
    @TempDir
    Path dir;

    @Test
    void replayWithASecondModelVersionAddsTaggedAnswersAndServesVisionFromTheCache() throws Exception {
        Path v2 = secondVersion(dir.resolve("v2"));
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8,
                System.err::println);
             PipelineClient client = pipeline.client()) {
            for (Scene s : new SceneGenerator(4321).scenes(0, POSTS)) {
                client.send(PngPosts.of("replay-" + s.id(), "replay", SceneRenderer.png(s)));
            }
            client.flush();
            Map<String, Answer> live = new HashMap<>();
            client.read(Topics.ANSWERS, Duration.ofSeconds(120), r -> live.put(r.key(), r.value()),
                    () -> live.size() >= POSTS);
            Replay.Summary summary;
            try (LlavaModel model = LlavaModel.load(v2, EngineOptions.threads(1))) {
                summary = new Replay(Map.of("bootstrap.servers", pipeline.bootstrapServers()), pipeline.registry(),
                        model, 8, PostChecks.defaults()).run(PostExport.Range.all(), x -> { }, () -> { });
            }
            assertThat(summary.images()).isEqualTo(POSTS);
            assertThat(summary.cacheHits()).isEqualTo(POSTS);
            assertThat(summary.cacheMisses()).isZero();
            assertThat(summary.answers()).isEqualTo(POSTS);

            Map<String, Answer> replayed = new HashMap<>();
            client.read(Topics.REPLAY_ANSWERS, Duration.ofSeconds(60), r -> replayed.put(r.key(), r.value()),
                    () -> replayed.size() >= POSTS);
            assertThat(replayed).hasSize(POSTS);
            assertThat(replayed.values()).allSatisfy(a -> assertThat(a.getModelId()).isEqualTo("llava-stream/demo-v2"));
            assertThat(replayed.keySet()).allSatisfy(k -> assertThat(k).startsWith("llava-stream/demo-v2|replay-"));

            Map<String, Integer> liveAfter = new HashMap<>();
            client.read(Topics.ANSWERS, Duration.ofSeconds(10), r -> liveAfter.merge(r.key(), 1, Integer::sum),
                    () -> false);
            assertThat(liveAfter).hasSize(POSTS).allSatisfy((k, count) -> assertThat(count).isEqualTo(1));
            assertThat(live.values()).allSatisfy(a -> assertThat(a.getModelId()).isEqualTo("llava-stream/demo-v1"));
            System.out.println("replay: " + summary);
        }
    }

    /**
     * The same model replayed over live posts of two sources with their own prompts, a blank question (a caption
     * request) and a real question gives, per image, the very tokens the live pipeline gave.
     */
    @Test
    void replayWithTheSameModelReproducesTheLiveAnswersPerSourcePromptsIncluded() throws Exception {
        String sourcePrompts = "count=USER: <image>\\nhow many shapes are there? ASSISTANT:";
        List<Scene> scenes = new SceneGenerator(777).scenes(0, POSTS);
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8,
                Map.of(PipelineConfig.SOURCE_PROMPTS_CONFIG, sourcePrompts), System.err::println);
             PipelineClient client = pipeline.client()) {
            for (int i = 0; i < POSTS; i++) {
                Post p = PngPosts.of("same-" + i, i % 2 == 0 ? "count" : "blog", SceneRenderer.png(scenes.get(i)));
                p.setQuestion(i == 1 ? "   " : i == 3 ? "is there a red circle?" : null);
                client.send(p);
            }
            client.flush();
            Map<String, Answer> live = new HashMap<>();
            client.read(Topics.ANSWERS, Duration.ofSeconds(120), r -> live.put(r.key(), r.value()),
                    () -> live.size() >= POSTS);
            try (LlavaModel model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.threads(1))) {
                PostChecks checks = PostChecks.defaults().withPrompts(PromptRule.defaults()
                        .withSourcePrompts(SourcePrompts.parse(sourcePrompts)));
                new Replay(Map.of("bootstrap.servers", pipeline.bootstrapServers()), pipeline.registry(), model, 8,
                        checks).run(PostExport.Range.all(), x -> { }, () -> { });
            }
            Map<String, Answer> replayed = new HashMap<>();
            client.read(Topics.REPLAY_ANSWERS, Duration.ofSeconds(60),
                    r -> replayed.put(r.value().getTask().getTaskId(), r.value()), () -> replayed.size() >= POSTS);
            assertThat(replayed.keySet()).isEqualTo(live.keySet());
            live.forEach((task, a) -> assertThat(replayed.get(task).getTokenIds()).as(task)
                    .isEqualTo(a.getTokenIds()));
            assertThat(live.get("same-0/0").getText()).as("the count source's prompt was used").isIn("one", "two");
            assertThat(live.get("same-1/0").getText()).as("a blank question is a caption").startsWith("a ");
            assertThat(live.get("same-3/0").getText()).isIn("yes", "no");
        }
    }

    /**
     * With labels on, a replay scores every image as the vision worker did: with the same model and label set,
     * each replayed answer carries exactly the live answer's labels and scores (here every image is a cache hit,
     * the path that bypasses the vision machine).
     */
    @Test
    void replayWithLabelsGivesEachAnswerTheLabelsTheVisionWorkerGaveIt() throws Exception {
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8, Map.of(),
                Map.of(), DemoLabels.definitions(Instant.now()), null, System.err::println);
             PipelineClient client = pipeline.client()) {
            for (Scene s : new SceneGenerator(2468).scenes(0, POSTS)) {
                client.send(PngPosts.of("labelled-" + s.id(), "replay", SceneRenderer.png(s)));
            }
            client.flush();
            Map<String, Answer> live = new HashMap<>();
            client.read(Topics.ANSWERS, Duration.ofSeconds(120), r -> live.put(r.key(), r.value()),
                    () -> live.size() >= POSTS);
            assertThat(live.values()).as("the live answers carry labels").anyMatch(a -> !a.getLabels().isEmpty());
            Replay.Summary summary;
            try (LlavaModel model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.threads(1))) {
                summary = new Replay(Map.of("bootstrap.servers", pipeline.bootstrapServers()), pipeline.registry(),
                        model, 8, PostChecks.defaults()).labels(true).run(PostExport.Range.all(), x -> { }, () -> { });
            }
            assertThat(summary.cacheHits()).isEqualTo(POSTS);
            Map<String, Answer> replayed = new HashMap<>();
            client.read(Topics.REPLAY_ANSWERS, Duration.ofSeconds(60),
                    r -> replayed.put(r.value().getTask().getTaskId(), r.value()), () -> replayed.size() >= POSTS);
            assertThat(replayed.keySet()).isEqualTo(live.keySet());
            live.forEach((task, a) -> assertThat(replayed.get(task).getLabels()).as(task).isEqualTo(a.getLabels()));
        }
    }

    /** The bundled model under another model id, declaring the same vision tower. */
    private static Path secondVersion(Path to) throws Exception {
        Path from = ModelDirectory.bundled();
        ModelCopies.copy(from, to);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(to.resolve("config.json").toFile());
        String v1 = ModelDirectory.open(from).config().visionModelId();
        config.put("_name_or_path", "llava-stream/demo-v2").put("vision_model_id", v1);
        json.writeValue(to.resolve("config.json").toFile(), config);
        return to;
    }

}
