package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llavastream.cli.Main;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.text.ClipTextEncoder;
import io.llavastream.model.text.PromptTokenizer;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.search.ImageIndex;
import io.llavastream.search.IndexBuilder;
import io.llavastream.search.SearchHit;
import io.llavastream.search.SearchService;
import io.llavastream.topics.Topics;
import io.llavastream.model.vision.L2;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.worker.Workers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Search acceptance: 1,000 generated scenes go through the pipeline on the embedded broker; the index is built from
 * the image-embeddings and captioned-posts topics; each scene's ground-truth caption is a query against all 1,000 at
 * once. A hit counts when the returned image's ground-truth caption equals the query ("fits caption": scenes with
 * identical captions cannot be told apart by their description); the strict numbers count only the scene itself.
 */
class SearchRecallTest {
    static final int SCENES = 1000;
    static final long SEED = 20_261_127L;
    static EmbeddedPipeline pipeline;
    static PipelineClient client;
    static List<Scene> scenes;
    static Map<String, List<Scene>> scenesBySha = new HashMap<>();
    static Map<String, String> shaByScene = new HashMap<>();

    @BeforeAll
    static void captionThousandScenes() throws Exception {
        pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 16, System.err::println);
        client = pipeline.client();
        scenes = new SceneGenerator(SEED).scenes(0, SCENES);
        long t0 = System.nanoTime();
        for (Scene s : scenes) {
            byte[] png = SceneRenderer.png(s);
            String sha = sha256(png);
            scenesBySha.computeIfAbsent(sha, x -> new ArrayList<>()).add(s);
            shaByScene.put(s.id(), sha);
            client.send(PngPosts.of("search-" + s.id(), "search-test", png));
        }
        client.flush();
        Set<String> done = new HashSet<>();
        client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(600), r -> done.add(r.key()),
                () -> done.size() >= SCENES);
        assertThat(done).hasSize(SCENES);
        System.out.printf("search: %d scenes (%d distinct images) captioned through the pipeline in %.1f s%n",
                SCENES, scenesBySha.size(), (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void captionsFindTheirScenesAmongAThousand() {
        ModelDirectory dir = ModelDirectory.open(ModelDirectory.bundled());
        try (ImageIndex index = new ImageIndex();
             IndexBuilder builder = new IndexBuilder(Map.of("bootstrap.servers", pipeline.bootstrapServers()),
                     pipeline.registry(), index);
             PromptTokenizer tokenizer = new PromptTokenizer(dir);
             ClipTextEncoder encoder = new ClipTextEncoder(dir, tokenizer, EngineOptions.cpu())) {
            long t0 = System.nanoTime();
            builder.catchUp(Duration.ofSeconds(120), (read, total) -> { });
            System.out.printf("search: index built from the topics: %d records, %d images in %.2f s%n",
                    builder.applied(), index.size(), (System.nanoTime() - t0) / 1e9);
            assertThat(index.size()).isEqualTo(scenesBySha.size());

            SearchService service = new SearchService(encoder, index, dir.config().visionModelId());
            for (int i = 0; i < 20; i++) {
                service.search(scenes.get(i).caption(), 5);  // warm-up, not measured
            }
            Map<String, float[]> embeddings = new HashMap<>();
            client.read(Topics.IMAGE_EMBEDDINGS, SCENES, Duration.ofSeconds(60), r -> embeddings.put(
                    r.value().getImageSha256(), TensorCodec.floats(r.value().getEmbedding())));
            int exact1 = 0;
            int agree1 = 0;
            int fit1 = 0;
            int fit5 = 0;
            int same1 = 0;
            int same5 = 0;
            long[] nanos = new long[SCENES];
            for (int i = 0; i < SCENES; i++) {
                Scene s = scenes.get(i);
                long q0 = System.nanoTime();
                SearchService.Result r = service.search(s.caption(), 5);
                nanos[i] = System.nanoTime() - q0;
                List<SearchHit> hits = r.hits();
                assertThat(hits).hasSize(5);
                String sha = shaByScene.get(s.id());
                hits.forEach(h -> assertThat(h.caption()).as("caption of %s", h.postId()).isNotNull());
                int fits = firstRank(hits, h -> scenesBySha.get(h.sha256()).stream()
                        .anyMatch(o -> o.caption().equals(s.caption())));
                int same = firstRank(hits, h -> h.sha256().equals(sha));
                String best = exactTop1(encoder.embed(s.caption()), embeddings);
                agree1 += best.equals(hits.get(0).sha256()) ? 1 : 0;
                exact1 += scenesBySha.get(best).stream().anyMatch(o -> o.caption().equals(s.caption())) ? 1 : 0;
                fit1 += fits == 0 ? 1 : 0;
                fit5 += fits >= 0 ? 1 : 0;
                same1 += same == 0 ? 1 : 0;
                same5 += same >= 0 ? 1 : 0;
            }
            Arrays.sort(nanos);
            double r1 = fit1 / (double) SCENES;
            double r5 = fit5 / (double) SCENES;
            System.out.printf("search: recall@1 %.3f recall@5 %.3f (fits caption); same scene: recall@1 %.3f "
                    + "recall@5 %.3f; %d queries over %d images%n", r1, r5, same1 / (double) SCENES,
                    same5 / (double) SCENES, SCENES, index.size());
            System.out.printf("search: exact (brute-force) recall@1 %.3f; HNSW top-1 = exact top-1 for %d of %d%n",
                    exact1 / (double) SCENES, agree1, SCENES);
            System.out.printf("search: query latency (text encoding + kNN) p50 %.2f ms p99 %.2f ms%n",
                    nanos[SCENES / 2] / 1e6, nanos[(int) (SCENES * 0.99) - 1] / 1e6);
            assertThat(r1).as("recall@1").isGreaterThanOrEqualTo(0.9);
            assertThat(r5).as("recall@5").isGreaterThanOrEqualTo(0.98);
            assertThat(agree1).as("HNSW top-1 agreeing with the exact top-1").isGreaterThanOrEqualTo(SCENES * 98 / 100);
        }
    }

    @Test
    void theSearchCommandPrintsJsonHitsFromTheTopics() throws Exception {
        Scene s = scenes.get(7);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int exit;
        try (PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            System.setOut(p);
            exit = new CommandLine(new Main()).execute("search", "--bootstrap-servers", pipeline.bootstrapServers(),
                    "--schema-registry-url", pipeline.registryUrl(), "--k", "3", "--json", "--threads", "1",
                    s.caption());
        } finally {
            System.setOut(old);
        }
        assertThat(exit).isZero();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(3);
        JsonNode top = new ObjectMapper().readTree(lines.get(0));
        assertThat(top.get("rank").asInt()).isEqualTo(1);
        assertThat(top.get("query").asText()).isEqualTo(s.caption());
        assertThat(top.get("caption").asText()).isNotBlank();
        assertThat(top.get("post_id").asText()).startsWith("search-");
        assertThat(top.get("sha256").asText()).hasSize(64);
    }

    /** The sha256 whose embedding has the largest dot product with {@code q}: the exact answer HNSW approximates. */
    static String exactTop1(float[] q, Map<String, float[]> embeddings) {
        String best = null;
        float bestDot = Float.NEGATIVE_INFINITY;
        for (Map.Entry<String, float[]> e : embeddings.entrySet()) {
            float dot = L2.dot(q, e.getValue());
            if (dot > bestDot) {
                bestDot = dot;
                best = e.getKey();
            }
        }
        return best;
    }

    /** The 0-based rank of the first hit that passes, or -1. */
    static int firstRank(List<SearchHit> hits, java.util.function.Predicate<SearchHit> pass) {
        for (int i = 0; i < hits.size(); i++) {
            if (pass.test(hits.get(i))) {
                return i;
            }
        }
        return -1;
    }


    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
