package io.llavastream.scale;

import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;

/**
 * {@code bench scale}, a SIMULATION: on one embedded broker (in this JVM, with the stage workers), optionally first
 * the ceiling run (the largest worker count with no compute: what Kafka and the runtime carry here), then one run
 * per worker count with the simulated GPUs at the chosen time scale.
 *
 * <p>Creates and uses the {@link Topics#BENCH_SCALE} topics (12 partitions each) and {@link Topics#DEAD_LETTERS}.
 */
public final class ScaleSimulation {
    private ScaleSimulation() {
    }

    /** Runs {@code config}; {@code log} gets progress lines (the command sends them to stderr). */
    public static ScaleReport run(ScaleConfig config, Consumer<String> log) {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            broker.createTopics(Topics.BENCH_SCALE.stream().map(t -> t.newTopic((short) 1)).toList());
            awaitTopics(broker.bootstrapServers());
            return run(config, broker.bootstrapServers(), new InMemorySchemaRegistry(), log);
        }
    }

    /** Runs {@code config} on a broker in this JVM whose bench-scale topics exist. */
    static ScaleReport run(ScaleConfig config, String bootstrapServers, SchemaRegistry registry,
                           Consumer<String> log) {
        ScaleModel model = config.model();
        ScalePayloads payloads = new ScalePayloads(model.sizes());
        HopBytes hops = HopBytes.measure(payloads, registry, model.answerTokens());
        ScaleRun run = new ScaleRun(bootstrapServers, registry, model, payloads, config.receiveBufferBytes(), log);
        RunResult ceiling = null;
        if (config.ceiling()) {
            int w = config.maxWorkers();
            log.accept(String.format("SIMULATION ceiling: %d workers/stage, no compute, %d posts", w,
                    w * config.postsPerWorker()));
            ceiling = run.run(w, 0, w * config.postsPerWorker(), config.feedFor(), timeout(config, w, 0));
            log.accept(String.format("  ceiling %.2f posts/s, broker %.1f MB/s in + %.1f MB/s out",
                    ceiling.postsPerSecond(), ceiling.mbInPerSecond(), ceiling.mbOutPerSecond()));
        }
        boolean auto = config.timeScale() == null;
        double k = auto ? autoTimeScale(config, ceiling) : config.timeScale();
        List<RunResult> runs = new ArrayList<>();
        for (int w : config.workers()) {
            log.accept(String.format("SIMULATION: %d workers/stage, time scale %.1f, %d posts", w, k,
                    w * config.postsPerWorker()));
            RunResult r = run.run(w, k, w * config.postsPerWorker(), config.feedFor(), timeout(config, w, k));
            log.accept(String.format("  %.2f posts/s, broker %.1f MB/s in + %.1f MB/s out, %d/%d answered",
                    r.postsPerSecond(), r.mbInPerSecond(), r.mbOutPerSecond(), r.answers(), r.posts()));
            runs.add(r);
        }
        return ScaleReport.of(model, hops, ceiling, k, auto, runs);
    }

    /** Waits until the broker's metadata has every bench-scale topic (creation returns before it does). */
    private static void awaitTopics(String bootstrapServers) {
        List<String> names = Topics.BENCH_SCALE.stream().map(Topic::name).toList();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            for (int tries = 0; ; tries++) {
                try {
                    admin.describeTopics(names).allTopicNames().get();
                    return;
                } catch (ExecutionException e) {
                    if (tries >= 100) {
                        throw new IllegalStateException("the bench-scale topics " + names + " did not appear on "
                                + bootstrapServers + ": " + e.getCause(), e);
                    }
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the bench-scale topics", e);
        }
    }

    /**
     * The time scale at which the largest worker count, at the model's posts/s per worker, needs {@code headroom}
     * of the ceiling; at least 1 (never faster than the modelled GPUs).
     */
    static double autoTimeScale(ScaleConfig config, RunResult ceiling) {
        double need = config.maxWorkers() * config.model().postsPerSecondPerWorker();
        double room = config.headroom() * ceiling.postsPerSecond();
        return room <= 0 ? 1 : Math.max(1, need / room);
    }

    private static Duration timeout(ScaleConfig config, int workers, double timeScale) {
        if (config.timeout() != null) {
            return config.timeout();
        }
        if (timeScale == 0) {
            return Duration.ofMinutes(5);
        }
        double rate = workers * config.model().postsPerSecondPerWorker() / timeScale;
        double expected = workers * config.postsPerWorker() / rate;
        return Duration.ofSeconds((long) Math.max(60, 3 * expected + 60));
    }
}
