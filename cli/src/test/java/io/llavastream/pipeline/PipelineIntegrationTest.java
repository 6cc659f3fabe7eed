package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.rules.PostChecks;
import io.llavastream.schemas.Answer;
import io.llavastream.stage.InProcessDriver;
import io.llavastream.stage.VisionCache;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Workers;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pipeline on the embedded broker: topology and the vision, merge and decode workers, each its own consumer
 * group, with read_committed consumers at the end.
 */
class PipelineIntegrationTest {
    static EmbeddedPipeline pipeline;
    static PipelineClient client;

    @BeforeAll
    static void start() throws Exception {
        pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8, System.err::println);
        client = pipeline.client();
    }

    @AfterAll
    static void stop() {
        client.close();
        pipeline.close();
    }


    @Test
    void twoHundredPostsComeOutCaptionedAsTheInProcessRuntimeAnswers() {
        List<Scene> scenes = new SceneGenerator(555).scenes(0, 200);
        for (Scene s : scenes) {
            client.send(PngPosts.of("p200-" + s.id(), "it", List.of(SceneRenderer.png(s))));
        }
        client.flush();
        Map<String, CaptionedPost> byId = new HashMap<>();
        client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(240), r -> {
            if (r.key().startsWith("p200-")) {
                assertThat(byId.put(r.key(), r.value())).as("post %s captioned twice", r.key()).isNull();
            }
        }, () -> byId.size() >= 200);
        assertThat(byId).hasSize(200);
        Map<String, List<Long>> inProcess = new HashMap<>();
        try (LlavaModel model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.cpu());
             InProcessDriver driver = new InProcessDriver(model, PostChecks.defaults(), 8, new VisionCache(), o -> {
                 if (o.value() instanceof Answer a) {
                     inProcess.put(a.getTask().getPostId(), a.getTokenIds());
                 }
             })) {
            for (Scene s : scenes) {
                driver.submit(PngPosts.of("p200-" + s.id(), "it", List.of(SceneRenderer.png(s))));
            }
            driver.drain();
        }
        Map<String, Answer> live = new HashMap<>();
        client.read(Topics.ANSWERS, Duration.ofSeconds(60), r -> {
            if (r.key().startsWith("p200-")) {
                live.put(r.value().getTask().getPostId(), r.value());
            }
        }, () -> live.size() >= 200);
        int same = 0;
        for (Scene s : scenes) {
            Answer got = live.get("p200-" + s.id());
            assertThat(got.getTokenIds()).as("tokens of %s: pipeline '%s'", s.id(), got.getText())
                    .isEqualTo(inProcess.get("p200-" + s.id()));
            assertThat(byId.get("p200-" + s.id()).getAnswers().get(0).getText()).isEqualTo(got.getText());
            same++;
        }
        System.out.println("pipeline vs in-process driver on 200 posts: " + same + " of 200 with identical tokens");
        List<DecodeRequest> onTheWire = new ArrayList<>();
        client.read(Topics.DECODE_REQUESTS, Duration.ofSeconds(60), r -> {
            if (r.key().startsWith("p200-")) {
                onTheWire.add(r.value());
            }
        }, () -> !onTheWire.isEmpty());
        assertThat(onTheWire.get(0).getInputsEmbeds()).as("the [T, D] prompt stays in the decode worker").isNull();
        assertThat(onTheWire.get(0).getImageFeatures().getDtype()).as("Hv, in the default tensor.dtype")
                .isEqualTo(DType.FP16);
    }

    @Test
    void badInputBecomesDeadLettersWithTheirReasonAndTheOtherPostsStillComeOut() {
        byte[] good = SceneRenderer.png(new SceneGenerator(9).scene(0));
        byte[] notAvro = "{\"id\": \"json-post\"}".getBytes();
        byte[] unknownId = new byte[] {0, 0, 0, 0x7f, 0x7f, 2, 3};
        client.sendRaw("bad-not-avro", notAvro);
        client.sendRaw("bad-unknown-id", unknownId);
        client.send(PngPosts.of("bad-corrupt", "it", List.of(Arrays.copyOf(good, good.length / 2))));
        client.send(PngPosts.of("bad-oversized", "it", List.of(new byte[9 * 1024 * 1024])));
        client.send(PngPosts.of("bad-no-images", "it", List.of()));
        client.send(PngPosts.of("bad-too-many", "it", Collections.nCopies(17, good)));
        client.send(PngPosts.of("good-after-bad", "it", List.of(good)));
        client.flush();

        Map<String, DeadLetter> dead = new HashMap<>();
        client.read(Topics.DEAD_LETTERS, 6, Duration.ofSeconds(120), r -> dead.put(r.value().getErrorType()
                + ":" + r.key(), r.value()));
        assertThat(dead.keySet()).contains("NOT_AVRO:bad-not-avro", "UNKNOWN_SCHEMA_ID:bad-unknown-id",
                "NO_IMAGES:bad-no-images", "TOO_MANY_IMAGES:bad-too-many");
        assertThat(dead.keySet()).anyMatch(k -> k.startsWith("CORRUPT_IMAGE:"));
        assertThat(dead.keySet()).anyMatch(k -> k.startsWith("IMAGE_TOO_LARGE:"));
        assertThat(bytes(dead.get("NOT_AVRO:bad-not-avro").getValue())).isEqualTo(notAvro);
        assertThat(bytes(dead.get("UNKNOWN_SCHEMA_ID:bad-unknown-id").getValue())).isEqualTo(unknownId);

        Map<String, CaptionedPost> out = new HashMap<>();
        client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(90), r -> out.put(r.key(), r.value()),
                () -> out.keySet().containsAll(List.of("good-after-bad", "bad-corrupt", "bad-oversized")));
        assertThat(out.get("good-after-bad").getAnswers().get(0).getFailed()).isFalse();
        assertThat(out.get("bad-corrupt").getAnswers().get(0).getFailed()).isTrue();
        assertThat(out.get("bad-oversized").getAnswers().get(0).getFailed()).isTrue();
    }

    private static List<Float> floats(float[] a) {
        List<Float> out = new ArrayList<>();
        for (float f : a) {
            out.add(f);
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
