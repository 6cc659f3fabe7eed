package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.rules.CacheKey;
import io.llavastream.rules.ImageTasks;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.Post;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Worker;
import io.llavastream.worker.WorkerConfig;
import io.llavastream.worker.WorkerStats;
import io.llavastream.worker.Workers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The vision worker's encoder cache on the embedded broker, with the topology and a real vision worker (no merge or
 * decode worker: the merge requests are what is checked). A repeated image is a hit with no vision compute, also
 * after the vision worker restarts (its cache restored from vision-features); records on vision-features that the
 * cache cannot use do not stop the worker, and a tombstone deletes its entry.
 */
@Timeout(600)
class VisionEncoderCacheTest {
    static EmbeddedPipeline pipeline;
    static PipelineClient client;
    static String visionModelId;
    Worker vision;
    Thread thread;

    @BeforeAll
    static void start() throws Exception {
        pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), List.of(), 8, System.err::println);
        client = pipeline.client();
        visionModelId = ModelDirectory.open(ModelDirectory.bundled()).config().visionModelId();
    }

    @AfterAll
    static void stop() {
        client.close();
        pipeline.close();
    }

    @AfterEach
    void stopVision() throws InterruptedException {
        if (vision != null) {
            vision.stop();
            thread.join(30_000);
            assertThat(thread.isAlive()).isFalse();
            vision = null;
        }
    }

    void startVision() throws InterruptedException {
        stopVision();
        Map<String, Object> settings = new HashMap<>();
        settings.put(WorkerConfig.STAGE, "vision");
        settings.put(WorkerConfig.BOOTSTRAP_SERVERS, pipeline.bootstrapServers());
        settings.put(WorkerConfig.MAX_BATCH_SIZE, 8);
        vision = Workers.create(ModelDirectory.bundled(), EngineOptions.threads(1), new WorkerConfig(settings),
                pipeline.registry());
        thread = new Thread(vision::run, "worker-vision");
        thread.setDaemon(true);
        thread.start();
    }

    static byte[] scene(int i) {
        return SceneRenderer.png(new SceneGenerator(777).scene(i));
    }

    static String key(byte[] png) {
        return CacheKey.of(ImageTasks.sha256Hex(png), visionModelId);
    }

    /** Sends a post with {@code pngs} and waits for the merge request of each of its images. */
    static Map<String, MergeRequest> post(String id, byte[]... pngs) {
        Post p = PngPosts.of(id, "it", List.of(pngs));
        client.send(p);
        client.flush();
        Map<String, MergeRequest> out = new ConcurrentHashMap<>();
        client.read(Topics.MERGE_REQUESTS, Duration.ofSeconds(180), r -> {
            if (r.key().startsWith(id + "/")) {
                out.put(r.key(), r.value());
            }
        }, () -> out.size() >= pngs.length);
        assertThat(out).as("merge requests of %s", id).hasSize(pngs.length);
        return out;
    }

    WorkerStats.Snapshot stats() {
        return vision.stats().snapshot();
    }

    @Test
    void aRepeatedImageIsACacheHitWithNoVisionComputeAlsoAfterTheVisionWorkerRestarts() throws Exception {
        startVision();
        byte[] x = scene(1);
        byte[] y = scene(2);
        MergeRequest first = post("rep-1", x).get("rep-1/0");
        assertThat(first.getCacheHit()).isFalse();
        MergeRequest second = post("rep-2", x).get("rep-2/0");
        assertThat(second.getCacheHit()).isTrue();
        assertThat(second.getFeatures()).isEqualTo(first.getFeatures());
        assertThat(stats().cacheHits()).isEqualTo(1);
        assertThat(stats().cacheMisses()).isEqualTo(1);

        Map<String, MergeRequest> twice = post("rep-3", y, y);
        assertThat(twice.values()).extracting(MergeRequest::getCacheHit).containsExactlyInAnyOrder(false, true);
        assertThat(featureRecords(key(x))).as("features of x written once").isEqualTo(1);
        assertThat(featureRecords(key(y))).as("two copies of y in one post encoded once").isEqualTo(1);

        startVision();  // a new worker process: an empty cache, restored from vision-features
        assertThat(post("rep-4", x).get("rep-4/0").getCacheHit()).isTrue();
        assertThat(post("rep-5", y).get("rep-5/0").getCacheHit()).isTrue();
        assertThat(stats().cacheHits()).isEqualTo(2);
        assertThat(stats().cacheMisses()).as("no vision compute after the restart").isZero();
        assertThat(featureRecords(key(x))).isEqualTo(1);
    }

    @Test
    void unusableRecordsOnVisionFeaturesAreSkippedByTheRestoringWorkerAndATombstoneDeletesItsEntry()
            throws Exception {
        startVision();
        byte[] kept = scene(10);
        byte[] deleted = scene(11);
        post("vf-1", kept, deleted);
        stopVision();

        byte[] features = lastFeatureRecord(key(kept));
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
                pipeline.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            String vf = Topics.VISION_FEATURES.name();
            raw.send(new ProducerRecord<>(vf, key(deleted), null));  // a delete
            raw.send(new ProducerRecord<>(vf, key(scene(12)), "not features".getBytes(StandardCharsets.UTF_8)));
            raw.send(new ProducerRecord<>(vf, key(scene(13)), new byte[] {0, 0, 0, 0x7f, 0x7f, 1, 2}));
            raw.send(new ProducerRecord<>(vf, key(scene(14)), features));  // x's features under y's key
            raw.send(new ProducerRecord<>(vf, "a|b", new byte[0]));
        }

        startVision();
        Map<String, MergeRequest> after = post("vf-2", kept, deleted, scene(14));
        assertThat(after.get("vf-2/0").getCacheHit()).as("restored past the unusable records").isTrue();
        assertThat(after.get("vf-2/1").getCacheHit()).as("deleted by its tombstone").isFalse();
        assertThat(after.get("vf-2/2").getCacheHit()).as("features filed under another image's key").isFalse();
        assertThat(thread.isAlive()).isTrue();
        assertThat(stats().deadLetters()).as("a cache record is not the worker's input").isZero();
        assertThat(post("vf-3", deleted).get("vf-3/0").getCacheHit()).as("computed again, cached again").isTrue();
    }

    /** How many records vision-features holds under {@code key} (read raw: hostile records included). */
    static int featureRecords(String key) {
        return (int) rawFeatures().stream().filter(r -> key.equals(r.key())).count();
    }

    static byte[] lastFeatureRecord(String key) {
        List<ConsumerRecord<String, byte[]>> all = rawFeatures().stream().filter(r -> key.equals(r.key())).toList();
        return all.get(all.size() - 1).value();
    }

    static List<ConsumerRecord<String, byte[]>> rawFeatures() {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "features-reader-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_RECORD_BYTES);
        List<ConsumerRecord<String, byte[]>> out = new java.util.ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.VISION_FEATURES.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(8).toNanos();
            while (System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
