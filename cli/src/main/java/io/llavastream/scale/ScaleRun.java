package io.llavastream.scale;

import io.llavastream.rules.StageName;
import io.llavastream.schemas.ImageTask;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.stage.StageMachine;
import io.llavastream.topics.Topics;
import io.llavastream.worker.StageDriver;
import io.llavastream.worker.WorkerConfig;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the simulation with {@code workers} workers per stage: starts 3 x workers {@link StageDriver}s, each
 * in its own thread of this JVM, over simulated machines; waits until every stage's consumer group has all its
 * members assigned; sends posts in a closed loop (at most {@code workers x window} unanswered); waits for every
 * answer or the timeout; stops the drivers. The workers of a stage share the consumer group
 * {@code llava-bench-scale-<stage>}, kept across runs, so that a run starts where the last one committed.
 *
 * <p>Writes {@link Topics#BENCH_SCALE_VISION_REQUESTS}; reads {@link Topics#BENCH_SCALE_ANSWERS}; its drivers read
 * and write the other bench-scale topics.
 */
final class ScaleRun {
    private static final Logger LOG = LoggerFactory.getLogger(ScaleRun.class);
    static final String GROUP_PREFIX = "llava-bench-scale-";

    private final String bootstrapServers;
    private final SchemaRegistry registry;
    private final ScaleModel model;
    private final ScalePayloads payloads;
    private final int receiveBufferBytes;
    private final Consumer<String> log;

    ScaleRun(String bootstrapServers, SchemaRegistry registry, ScaleModel model, ScalePayloads payloads,
             int receiveBufferBytes, Consumer<String> log) {
        this.receiveBufferBytes = receiveBufferBytes;
        this.bootstrapServers = bootstrapServers;
        this.registry = registry;
        this.model = model;
        this.payloads = payloads;
        this.log = log;
    }

    /** Posts a stage worker can hold at once: a vision batch being encoded and one waiting, a merge batch, decode. */
    int windowPerWorker() {
        return 2 * model.visionBatch() + model.mergeBatch() + 2 * model.decodeBatch();
    }

    /**
     * @param posts    how many posts to send, or, when {@code feedFor} is given, the most to send
     * @param feedFor  if not null, send posts for this long (at most {@code posts}), then wait for their answers
     * @param timeout  longest wait for all answers after the last post is sent
     */
    RunResult run(int workers, double timeScale, int posts, Duration feedFor, Duration timeout) {
        StageBusy busy = new StageBusy();
        String prefix = "scale-" + workers + "w-" + Long.toHexString(System.nanoTime());
        List<StageDriver<?>> drivers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try (AnswerCollector collector = new AnswerCollector(bootstrapServers, registry, prefix, busy)) {
            for (int i = 0; i < workers; i++) {
                for (StageName stage : List.of(StageName.VISION, StageName.MERGE, StageName.DECODE)) {
                    StageDriver<?> d = driver(stage, i, timeScale, busy);
                    drivers.add(d);
                    Thread t = new Thread(() -> runQuietly(d), "scale-" + stage.id() + "-" + i);
                    t.setDaemon(true);
                    t.start();
                    threads.add(t);
                }
            }
            awaitGroups(workers);
            Thread collecting = new Thread(collector, "scale-answers");
            collecting.setDaemon(true);
            collecting.start();
            long t0 = System.nanoTime();
            int sent = feed(collector, prefix, workers, posts, feedFor);
            awaitAnswers(collector, sent, workers, timeout);
            double seconds = (System.nanoTime() - t0) / 1e9;
            collector.close();
            join(collecting);
            return result(workers, timeScale, sent, collector, seconds);
        } finally {
            drivers.forEach(StageDriver::stop);
            threads.forEach(ScaleRun::join);
        }
    }

    private StageDriver<?> driver(StageName stage, int index, double timeScale, StageBusy busy) {
        Clock clock = Clock.systemUTC();
        StageMachine<?> machine = switch (stage) {
            case VISION -> new SimVisionMachine(payloads, model.vision(), model.visionBatch(),
                    new SimulatedGpu(timeScale, busy.vision()), clock);
            case MERGE -> new SimMergeMachine(payloads, model.merge(), model.mergeBatch(),
                    new SimulatedGpu(timeScale, busy.merge()), clock);
            case DECODE -> new SimDecodeMachine(payloads, model, new SimulatedGpu(timeScale, busy.decode()), busy,
                    clock);
            default -> throw new IllegalArgumentException("the simulation has no stage " + stage.id());
        };
        int batch = switch (stage) {
            case VISION -> model.visionBatch();
            case MERGE -> model.mergeBatch();
            default -> model.decodeBatch();
        };
        Map<String, Object> settings = new HashMap<>();
        settings.put(WorkerConfig.STAGE, stage.id());
        settings.put(WorkerConfig.BOOTSTRAP_SERVERS, bootstrapServers);
        settings.put(WorkerConfig.GROUP_ID, GROUP_PREFIX + stage.id());
        settings.put(WorkerConfig.MAX_BATCH_SIZE, batch);
        settings.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, receiveBufferBytes);
        return StageDriver.create(machine, () -> { }, new WorkerConfig(settings), registry);
    }

    private static void runQuietly(StageDriver<?> d) {
        try {
            d.run();
        } catch (RuntimeException e) {
            LOG.error("a simulated stage worker stopped on an error: {}", e.toString(), e);
        }
    }

    /** Waits until each stage's group has {@code workers} members that own all its partitions between them. */
    private void awaitGroups(int workers) {
        List<String> groups = List.of(StageName.VISION, StageName.MERGE, StageName.DECODE).stream()
                .map(s -> GROUP_PREFIX + s.id()).toList();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            while (true) {
                Map<String, ConsumerGroupDescription> d = describe(admin, groups);
                if (d != null && d.values().stream().allMatch(g -> assigned(g, workers))) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the stage groups did not settle with " + workers
                            + " members each within 120 s: " + (d == null ? "a group does not exist yet" : d.values()));
                }
                Thread.sleep(100);
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot describe the stage groups " + groups + ": " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the stage groups", e);
        }
    }

    /**
     * The groups' descriptions, or null while one of them does not exist yet: the broker answers a group that no
     * member has joined with GroupIdNotFoundException rather than an empty group (CI saw it once for merge).
     */
    private static Map<String, ConsumerGroupDescription> describe(Admin admin, List<String> groups)
            throws ExecutionException, InterruptedException {
        try {
            return admin.describeConsumerGroups(groups).all().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return null;
            }
            throw e;
        }
    }

    private static boolean assigned(ConsumerGroupDescription g, int workers) {
        int owned = 0;
        for (MemberDescription m : g.members()) {
            owned += m.assignment().topicPartitions().size();
            if (m.assignment().topicPartitions().isEmpty()) {
                return false;
            }
        }
        return g.members().size() == workers && owned == Topics.BENCH_SCALE_PARTITIONS;
    }

    /** Sends posts while fewer than workers x window are unanswered; returns how many it sent. */
    private int feed(AnswerCollector collector, String prefix, int workers, int posts, Duration feedFor) {
        AvroSerde<ImageTask> serde = Topics.BENCH_SCALE_VISION_REQUESTS.valueSerde(registry);
        String topic = Topics.BENCH_SCALE_VISION_REQUESTS.name();
        long window = (long) workers * windowPerWorker();
        long stopAt = feedFor == null ? Long.MAX_VALUE : System.nanoTime() + feedFor.toNanos();
        int sent = 0;
        long lastLog = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            while (sent < posts && System.nanoTime() < stopAt) {
                if (sent - collector.answers() >= window) {
                    sleep(2);
                } else {
                    String id = BalancedKeys.taskId(prefix, sent, Topics.BENCH_SCALE_PARTITIONS);
                    ImageTask task = payloads.imageTask(id, sent, Instant.now());
                    producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
                            serde.serialize(topic, task)));
                    sent++;
                }
                if (System.nanoTime() - lastLog > 10_000_000_000L) {
                    lastLog = System.nanoTime();
                    log.accept(String.format("  %d workers/stage: %d sent, %d answered", workers, sent,
                            collector.answers()));
                }
            }
            producer.flush();
        }
        return sent;
    }

    private void awaitAnswers(AnswerCollector collector, int sent, int workers, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastLog = System.nanoTime();
        while (collector.answers() < sent && System.nanoTime() < deadline) {
            sleep(10);
            if (System.nanoTime() - lastLog > 10_000_000_000L) {
                lastLog = System.nanoTime();
                log.accept(String.format("  %d workers/stage: %d sent, %d answered", workers, sent,
                        collector.answers()));
            }
        }
        if (collector.answers() < sent) {
            log.accept(String.format("  %d workers/stage: timed out after %s with %d of %d answered", workers,
                    timeout, collector.answers(), sent));
        }
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES + 64 * 1024);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private RunResult result(int workers, double timeScale, int sent, AnswerCollector collector, double seconds) {
        Window w = Window.of(collector.samples(), collector.arrivals(), sent, workers * model.decodeBatch());
        Sample from = w.from();
        Sample to = w.to();
        double dt = w.sampleSeconds();
        double perWorker = dt * workers * 1e9;
        return new RunResult(workers, timeScale, sent, collector.answers(), collector.duplicates(),
                collector.errors(), w.perSecond(), (to.bytesIn() - from.bytesIn()) / dt / 1e6,
                (to.bytesOut() - from.bytesOut()) / dt / 1e6,
                sent == 0 ? 0 : (double) (w.last().bytesIn() - w.first().bytesIn()) / sent,
                sent == 0 ? 0 : (double) (w.last().bytesOut() - w.first().bytesOut()) / sent,
                (to.visionBusyNanos() - from.visionBusyNanos()) / perWorker,
                (to.mergeBusyNanos() - from.mergeBusyNanos()) / perWorker,
                (to.decodeBusyNanos() - from.decodeBusyNanos()) / perWorker,
                meanBatch(to.decodeRows() - from.decodeRows(), to.decodeSteps() - from.decodeSteps()),
                overheadMs(perWorker - (to.decodeBusyNanos() - from.decodeBusyNanos()),
                        to.decodeSteps() - from.decodeSteps()), seconds);
    }

    private static double meanBatch(long rows, long steps) {
        return steps == 0 ? 0 : (double) rows / steps;
    }

    private static double overheadMs(double idleNanos, long steps) {
        return steps == 0 ? 0 : idleNanos / steps / 1e6;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during a scale run", e);
        }
    }

    private static void join(Thread t) {
        try {
            t.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
