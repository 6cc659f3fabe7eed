package io.llavastream.stage;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.VisionParts;
import io.llavastream.rules.CacheKey;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.ImageTasks;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.topics.Topics;
import io.llavastream.worker.TestRecords;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The vision stage behind its encoder cache, on the bundled demo model's vision parts and real ONNX Runtime. */
class CachedVisionMachineTest {
    static VisionParts parts;
    EncoderCache cache;
    CachedVisionMachine machine;

    @BeforeAll
    static void load() {
        parts = VisionParts.load(ModelDirectory.bundled(), EngineOptions.cpu());
    }

    @AfterAll
    static void close() {
        parts.close();
    }

    @BeforeEach
    void fresh() {
        cache = new EncoderCache(64L * 1024 * 1024);
        machine = new CachedVisionMachine(new VisionMachine(parts, 8, Clock.systemUTC()), parts.visionModelId(),
                cache);
    }

    static byte[] scene(int i) {
        return SceneRenderer.png(new SceneGenerator(23).scene(i));
    }

    String key(byte[] png) {
        return CacheKey.of(ImageTasks.sha256Hex(png), parts.visionModelId());
    }

    List<Finished> run(ImageTask... tasks) {
        for (ImageTask t : tasks) {
            machine.submit(t.getTask().getTaskId(), t);
        }
        return machine.step();
    }

    static StageResult result(List<Finished> done, String tag) {
        return done.stream().filter(f -> f.tag().equals(tag)).findFirst().orElseThrow().result();
    }

    static List<String> topics(StageResult r) {
        return r.outputs().stream().map(o -> o.topic().name()).toList();
    }

    static MergeRequest merge(StageResult r) {
        return (MergeRequest) r.outputs().stream().filter(o -> o.topic() == Topics.MERGE_REQUESTS).findFirst()
                .orElseThrow().value();
    }

    @Test
    void aCommittedImageIsAHitTheNextTimeWithItsFeaturesAndNoVisionCompute() {
        byte[] png = scene(0);
        List<Finished> first = run(TestRecords.imageTask("a", 0, 1, png));
        StageResult miss = result(first, "a/0");
        assertThat(topics(miss)).containsExactly(Topics.VISION_FEATURES.name(), Topics.IMAGE_EMBEDDINGS.name(),
                Topics.MERGE_REQUESTS.name());
        assertThat(merge(miss).getCacheHit()).isFalse();
        machine.committed(List.of("a/0"));
        assertThat(cache.contains(key(png))).isTrue();

        StageResult hit = result(run(TestRecords.imageTask("b", 0, 1, png)), "b/0");
        assertThat(topics(hit)).as("only the merge request: no features or embedding written again")
                .containsExactly(Topics.MERGE_REQUESTS.name());
        assertThat(merge(hit).getCacheHit()).isTrue();
        assertThat(merge(hit).getTask().getTaskId()).isEqualTo("b/0");
        assertThat(merge(hit).getFeatures()).isEqualTo(merge(miss).getFeatures());
        assertThat(cache.hits()).isEqualTo(1);
        assertThat(cache.misses()).isEqualTo(1);
    }

    @Test
    void featuresEnterTheCacheOnlyOnceTheirTransactionCommitted() {
        byte[] png = scene(1);
        run(TestRecords.imageTask("a", 0, 1, png));
        assertThat(cache.contains(key(png))).as("not committed yet").isFalse();
        machine.reset();  // the driver's recovery after an aborted transaction
        machine.committed(List.of("a/0"));
        assertThat(cache.contains(key(png))).as("the aborted computation is forgotten").isFalse();
        StageResult again = result(run(TestRecords.imageTask("a", 0, 1, png)), "a/0");
        assertThat(merge(again).getCacheHit()).as("computed again, features written again").isFalse();
    }

    @Test
    void copiesOfOneImageInOneBatchAreEncodedOnce() {
        byte[] png = scene(2);
        List<Finished> done = run(TestRecords.imageTask("p", 0, 3, png), TestRecords.imageTask("p", 1, 3, png),
                TestRecords.imageTask("q", 0, 1, scene(3)));
        assertThat(merge(result(done, "p/0")).getCacheHit()).isFalse();
        assertThat(merge(result(done, "p/1")).getCacheHit()).isTrue();
        assertThat(topics(result(done, "p/1"))).containsExactly(Topics.MERGE_REQUESTS.name());
        assertThat(merge(result(done, "p/1")).getFeatures()).isEqualTo(merge(result(done, "p/0")).getFeatures());
        assertThat(cache.misses()).as("two distinct images looked up").isEqualTo(2);
        assertThat(cache.hits()).isEqualTo(1);
    }

    @Test
    void aHitWhoseBytesDoNotHashToTheTaskShaFailsAsAHashMismatch() {
        byte[] png = scene(4);
        run(TestRecords.imageTask("a", 0, 1, png));
        machine.committed(List.of("a/0"));
        ImageTask forged = TestRecords.imageTask("f", 0, 1, png);
        forged.setImage(ByteBuffer.wrap(scene(5)));  // another image under the cached image's SHA-256
        StageResult r = result(run(forged), "f/0");
        assertThat(r.failure()).hasValueSatisfying(f -> {
            assertThat(f.reason()).isEqualTo(DeadLetterReason.IMAGE_HASH_MISMATCH);
            assertThat(f.message()).contains(ImageTasks.sha256Hex(scene(5)), ImageTasks.sha256Hex(png));
        });
        assertThat(topics(r)).as("an ERROR answer, so the post completes").containsExactly(Topics.ANSWERS.name());
    }

    @Test
    void aCopyOfACorruptImageFailsOnItsOwnBytesToo() {
        byte[] junk = "not a png".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<Finished> done = run(TestRecords.imageTask("c", 0, 2, junk), TestRecords.imageTask("c", 1, 2, junk));
        assertThat(done).allSatisfy(f -> assertThat(f.result().failure())
                .hasValueSatisfying(x -> assertThat(x.reason()).isEqualTo(DeadLetterReason.CORRUPT_IMAGE)));
    }

    @Test
    void theCacheIsBoundedInBytesAndATombstoneDeletesItsEntry() {
        EncoderCache small = new EncoderCache(0);
        small.put("k", (VisionFeatures) result(run(TestRecords.imageTask("a", 0, 1, scene(6))), "a/0").outputs()
                .get(0).value());
        assertThat(small.contains("k")).as("0 bytes keeps nothing").isFalse();

        VisionFeatures f = (VisionFeatures) result(run(TestRecords.imageTask("b", 0, 1, scene(7))), "b/0").outputs()
                .get(0).value();
        int weight = EncoderCache.weight("k0", f);
        EncoderCache two = new EncoderCache(2L * weight + weight / 2);
        for (int i = 0; i < 5; i++) {
            two.put("k" + i, f);
        }
        assertThat(two.size()).isEqualTo(2);
        assertThat(two.bytes()).isLessThanOrEqualTo(two.maxBytes());
        two.put("t", f);
        two.remove("t");
        assertThat(two.contains("t")).isFalse();
    }
}
