package io.llavastream.chaos;

import io.llavastream.pipeline.PngPosts;
import io.llavastream.rules.ImageTasks;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.schemas.Post;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends the run's valid posts to {@link Topics#POSTS} from a thread of its own, in slices, each post acknowledged
 * by the broker before the next (so a post counts as sent only once it is in the log; an idempotent producer
 * retries across a broker restart without duplicating). Posts are generated scenes, one PNG each, every fourth
 * with two; ids are "chaos-&lt;run&gt;-&lt;n&gt;".
 */
final class PostFeeder implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerde<Post> serde;
    private final String runId;
    private final SceneGenerator scenes;
    private final long intervalMs;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "chaos-posts");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Integer> sent = new ConcurrentHashMap<>();
    private final Set<String> afterHostile = ConcurrentHashMap.newKeySet();
    private volatile boolean hostileWritten;
    private int next;
    private Future<?> last;

    PostFeeder(String bootstrapServers, SchemaRegistry registry, String runId, long seed, long intervalMs) {
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000, ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Topics.MAX_RECORD_BYTES), new StringSerializer(), new ByteArraySerializer());
        this.serde = Topics.POSTS.valueSerde(registry);
        this.runId = runId;
        this.scenes = new SceneGenerator(seed);
        this.intervalMs = intervalMs;
    }

    /** The id prefix of this run's valid posts. */
    static String prefix(String runId) {
        return "chaos-" + runId + "-";
    }

    /** Queues the next {@code n} posts; returns at once. */
    synchronized void sendAsync(int n) {
        int from = next;
        next += n;
        last = thread.submit(() -> {
            sendRange(from, n);
            return null;
        });
    }

    /** Waits until every queued post is acknowledged. */
    synchronized void awaitSent() throws InterruptedException {
        if (last == null) {
            return;
        }
        try {
            last.get(15, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw new IllegalStateException("sending posts failed: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("posts were not acknowledged within 15 minutes", e);
        }
    }

    /** From now on, posts count as written after the hostile records. */
    void markHostileWritten() {
        hostileWritten = true;
    }

    /** Post id to its image count, for every acknowledged post. */
    Map<String, Integer> sent() {
        return Map.copyOf(sent);
    }

    Set<String> sentAfterHostile() {
        return Set.copyOf(afterHostile);
    }

    /** The task ids of every acknowledged post's images. */
    List<String> tasks() {
        List<String> out = new ArrayList<>();
        sent.forEach((id, images) -> {
            for (int i = 0; i < images; i++) {
                out.add(ImageTasks.taskId(id, i));
            }
        });
        return out;
    }

    private void sendRange(int from, int n) throws Exception {
        List<Scene> batch = scenes.scenes(from * 2, n * 2);
        for (int i = 0; i < n; i++) {
            int number = from + i;
            List<byte[]> pngs = new ArrayList<>();
            pngs.add(SceneRenderer.png(batch.get(2 * i)));
            if (number % 4 == 3) {
                pngs.add(SceneRenderer.png(batch.get(2 * i + 1)));
            }
            String id = prefix(runId) + number;
            Post post = PngPosts.of(id, "chaos", pngs);
            boolean after = hostileWritten;
            producer.send(new ProducerRecord<>(Topics.POSTS.name(), id, serde.serialize(Topics.POSTS.name(), post)))
                    .get(10, TimeUnit.MINUTES);
            sent.put(id, pngs.size());
            if (after) {
                afterHostile.add(id);
            }
            if (intervalMs > 0) {
                Thread.sleep(intervalMs);
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        producer.close(java.time.Duration.ofSeconds(10));
    }
}
