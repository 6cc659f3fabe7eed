package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.llavastream.topics.Topics;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.ShapeKind;
import io.llavastream.scenes.SceneRenderer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands' --json contracts, run in-process on the bundled model. */
class CliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    record Run(int exit, List<JsonNode> lines) {
    }

    static Run run(String... args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(p);
            exit = Main.commandLine().execute(args);
        } finally {
            System.setOut(old);
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String l : buf.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!l.isBlank()) {
                lines.add(JSON.readTree(l));
            }
        }
        return new Run(exit, lines);
    }

    @Test
    void captionJsonPrintsOneObjectPerImageWithTextAndTokenIds() throws Exception {
        Path a = Files.write(dir.resolve("a.png"), SceneRenderer.png(new SceneGenerator(3).scene(0)));
        Path b = Files.write(dir.resolve("b.png"), SceneRenderer.png(new SceneGenerator(3).scene(1)));
        Run r = run("caption", "--json", a.toString(), b.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.lines()).hasSize(2);
        for (JsonNode n : r.lines()) {
            assertThat(n.has("file") && n.has("prompt") && n.has("text") && n.has("token_ids")).isTrue();
            assertThat(n.get("token_ids").size()).isPositive();
        }
        assertThat(r.lines().get(0).get("file").asText()).endsWith("a.png");
    }

    @Test
    void captionReportsABadFileAndGoesOnWithTheNext() throws Exception {
        Path bad = Files.write(dir.resolve("bad.png"), "not an image".getBytes());
        Path good = Files.write(dir.resolve("good.png"), SceneRenderer.png(new SceneGenerator(3).scene(2)));
        Run r = run("caption", "--json", bad.toString(), good.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.lines()).hasSize(2);
        assertThat(r.lines().get(0).get("error").asText()).isEqualTo("CORRUPT_IMAGE");
        assertThat(r.lines().get(0).get("message").asText()).contains("not a recognised image");
        assertThat(r.lines().get(1).get("text").asText()).isNotBlank();
    }

    @Test
    void captionRefusesAQuestionOverTheCapWithItsReason() throws Exception {
        Path good = Files.write(dir.resolve("q.png"), SceneRenderer.png(new SceneGenerator(3).scene(1)));
        Run r = run("caption", "--json", "--prompt", "why".repeat(700), good.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.lines()).hasSize(1);
        assertThat(r.lines().get(0).get("error").asText()).isEqualTo("QUESTION_TOO_LONG");
        assertThat(r.lines().get(0).get("message").asText()).contains("2100 chars").contains("max.question.chars");
    }

    @Test
    void captionLabelsEachImageWithTheDemoSetOrTheLabelsGiven() throws Exception {
        Path circle = oneObjectScene(ShapeKind.CIRCLE, "circle.png");
        Path square = oneObjectScene(ShapeKind.SQUARE, "square.png");
        Run demo = run("caption", "--json", "--labels", circle.toString(), square.toString());
        assertThat(demo.exit()).isZero();
        assertThat(labels(demo.lines().get(0))).containsExactly("circle");
        assertThat(labels(demo.lines().get(1))).containsExactly("square");
        Run own = run("caption", "--json", "--label", "round=a large circle|a small circle", "--label",
                "angular=a large square|a small square|a large triangle|a small triangle", circle.toString(),
                square.toString());
        assertThat(own.exit()).isZero();
        assertThat(labels(own.lines().get(0))).containsExactly("round");
        assertThat(labels(own.lines().get(1))).containsExactly("angular");
        assertThat(run("caption", "--json", circle.toString()).lines().get(0).has("labels"))
                .as("no labels asked for, none given").isFalse();
    }

    @Test
    void captionRefusesABadOrRepeatedLabelAndRunsNothing() throws Exception {
        assertThat(run("caption", "--label", "bad/name=a circle", "missing.png").exit()).isEqualTo(2);
        assertThat(run("caption", "--label", "noprompt", "missing.png").exit()).isEqualTo(2);
        assertThat(run("caption", "--labels", "--label", "circle=a circle", "missing.png").exit()).isEqualTo(2);
    }

    private Path oneObjectScene(ShapeKind shape, String name) throws Exception {
        SceneGenerator gen = new SceneGenerator(3);
        for (int i = 0; ; i++) {
            io.llavastream.scenes.Scene sc = gen.scene(i);
            if (sc.objects().size() == 1 && sc.objects().get(0).shape() == shape) {
                return Files.write(dir.resolve(name), SceneRenderer.png(sc));
            }
        }
    }

    private static List<String> labels(JsonNode answer) {
        List<String> out = new ArrayList<>();
        answer.get("labels").forEach(l -> out.add(l.get("label").asText()));
        return out;
    }

    @Test
    void evalJsonReportsTheThreeScores() throws Exception {
        Run r = run("eval", "--count", "5", "--seed", "123", "--json");
        assertThat(r.exit()).isZero();
        JsonNode n = r.lines().get(0);
        assertThat(n.get("scenes").asInt()).isEqualTo(5);
        for (String field : List.of("caption_exact_match", "vqa_accuracy", "retrieval_r1")) {
            assertThat(n.get(field).asDouble()).isBetween(0.0, 1.0);
        }
        assertThat(n.get("vqa_by_type").size()).isEqualTo(6);
    }

    @Test
    void anUnknownTensorDtypeIsAUsageErrorAndNothingRuns() throws Exception {
        assertThat(run("caption", "--tensor-dtype", "int8", "missing.png").exit()).isEqualTo(2);
        assertThat(run("bench", "bytes", "--tensor-dtype", "fp64").exit()).isEqualTo(2);
    }

    /** The bytes of one hop of {@code model} in {@code format}, from {@code bench bytes --json}. */
    private static long bytes(Run r, String model, String format, String topic) {
        return r.lines().stream().filter(n -> n.get("model").asText().equals(model)
                        && n.get("format").asText().equals(format) && n.get("topic").asText().equals(topic))
                .mapToLong(n -> n.get("bytes").asLong()).findFirst().orElseThrow();
    }

    /** The figures of docs/scaling.md's bytes-per-hop table, within 1%. */
    @Test
    void benchBytesPrintsEveryHopBeforeAndAfterAndTheLlava7bPostHalves() throws Exception {
        Run r = run("bench", "bytes", "--json");
        assertThat(r.exit()).isZero();
        List<String> topics = r.lines().stream().filter(n -> n.get("model").asText().equals("llava-1.5-7b")
                && n.get("format").asText().equals("after")).map(n -> n.get("topic").asText()).toList();
        assertThat(topics).contains(Topics.POSTS.name(), Topics.VISION_REQUESTS.name(),
                Topics.VISION_FEATURES.name(), Topics.MERGE_REQUESTS.name(), Topics.IMAGE_EMBEDDINGS.name(),
                Topics.DECODE_REQUESTS.name(), Topics.ANSWERS.name(), Topics.CAPTIONED_POSTS.name(), "total");
        assertThat(r.lines()).extracting(n -> n.get("model").asText()).contains("demo");
        String m = "llava-1.5-7b";
        // decode-requests: FP32 [585, 4096] before; FP16 Hv [576, 4096] + ids + positions after
        assertThat(bytes(r, m, "before", Topics.DECODE_REQUESTS.name())).isCloseTo(9_586_633L, withinPercentage(1));
        assertThat(bytes(r, m, "after", Topics.DECODE_REQUESTS.name())).isCloseTo(4_721_680L, withinPercentage(1));
        assertThat(bytes(r, m, "before", Topics.VISION_FEATURES.name())).isCloseTo(2_362_487L, withinPercentage(1));
        assertThat(bytes(r, m, "after", Topics.VISION_FEATURES.name())).isCloseTo(1_182_839L, withinPercentage(1));
        assertThat(bytes(r, m, "after", Topics.IMAGE_EMBEDDINGS.name())).as("the CLIP embedding stays FP32")
                .isEqualTo(bytes(r, m, "before", Topics.IMAGE_EMBEDDINGS.name()));
        assertThat(bytes(r, m, "before", "total")).isCloseTo(14_917_289L, withinPercentage(1));
        assertThat(bytes(r, m, "after", "total")).isCloseTo(7_492_859L, withinPercentage(1));
        assertThat(topics).as("the image-bytes repartition is gone").noneMatch(t -> t.contains("images-by-cache-key"));
    }

    @Test
    void benchModelJsonReportsEveryStageAndTheOverheadRatio() throws Exception {
        Run r = run("bench", "model", "--iterations", "64", "--warmup", "2", "--json");
        assertThat(r.exit()).isZero();
        List<String> stages = r.lines().stream().filter(n -> n.has("stage")).map(n -> n.get("stage").asText()).toList();
        assertThat(stages).containsExactly("preprocess", "vision", "projector", "merge", "prefill", "decode_step",
                "bare_ort_decode_step");
        JsonNode last = r.lines().get(r.lines().size() - 1);
        assertThat(last.get("decode_overhead_ratio").asDouble()).isPositive();
        assertThat(r.lines().get(0).get("p50_ms").asDouble()).isPositive();
    }

    @Test
    void scenesWritesPngsAndGroundTruth() throws Exception {
        Run r = run("scenes", "--count", "3", "--seed", "9", "--out", dir.toString());
        assertThat(r.exit()).isZero();
        assertThat(Files.readAllLines(dir.resolve("scenes.jsonl"))).hasSize(3);
        try (var files = Files.list(dir)) {
            assertThat(files.filter(p -> p.toString().endsWith(".png")).count()).isEqualTo(3);
        }
    }
}
