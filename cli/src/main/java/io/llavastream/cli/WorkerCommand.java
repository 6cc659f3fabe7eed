package io.llavastream.cli;

import io.llavastream.metrics.MetricsServer;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.status.ConsumedPositions;
import io.llavastream.status.ProcessStatus;
import io.llavastream.worker.Worker;
import io.llavastream.worker.WorkerConfig;
import io.llavastream.worker.Workers;
import io.llavastream.worker.WorkerStats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code worker}: runs one pipeline stage as its own process, until Ctrl-C. */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Run one pipeline stage (its own consumer group) until Ctrl-C, printing progress to stderr.")
final class WorkerCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--stage", required = true, description = "vision, merge or decode.")
    String stage;
    @Mixin
    KafkaOptions kafka;
    @Mixin
    RegistryOptions registryOptions;
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    StatusOptions status;
    @Mixin
    TensorDtypeOption tensorDtype;
    @Mixin
    MetricsOptions metrics;
    @Option(names = "--max-batch", defaultValue = "8", description = "Most records per compute call "
            + "(default ${DEFAULT-VALUE}).")
    int maxBatch;
    @Option(names = "--linger-ms", defaultValue = "10", description = "How long a partial batch waits for more "
            + "records, ms (default ${DEFAULT-VALUE}).")
    long lingerMs;
    @Option(names = "--group-id", description = "Consumer group (default: llava-<stage>).")
    String groupId;
    @Option(names = "--instance-id", description = "This process's stable id within the stage (default: random). "
            + "A restarted process given its old id fences the dead one at once.")
    String instanceId;
    @Option(names = "--stream-tokens", negatable = true,
            description = "decode: publish each answer's tokens as they are generated to the answer-tokens topic, a "
                    + "best-effort preview (default: decode.stream.tokens, true; --no-stream-tokens turns it off).")
    Boolean streamTokens;
    @Option(names = "--labels", negatable = true,
            description = "vision: score every image against the zero-shot label set on the labels topic and put "
                    + "the labels above threshold on its records (default: vision.labels.enabled, true; "
                    + "--no-labels loads no text tower; docs/labels.md).")
    Boolean labels;
    @Option(names = "--progress-seconds", defaultValue = "5", description = "Progress line interval "
            + "(default ${DEFAULT-VALUE}).")
    long progressSeconds;

    /** The worker while {@link #call} runs it, for {@link #stop}. */
    private volatile Worker running;

    @Override
    public Integer call() throws Exception {
        WorkerConfig config;
        SchemaRegistry registry;
        try {
            config = checkedConfig();
            registry = registryOptions.connect();
        } catch (ConfigException | IllegalArgumentException | IllegalStateException e) {
            System.err.println("worker: " + e.getMessage());
            return 2;
        }
        EngineOptions engineOptions = config.engineOptions();
        Path dir = modelOptions.model != null ? modelOptions.model : ModelDirectory.bundled();
        Worker worker;
        try {
            worker = Workers.create(dir, engineOptions, config, registry);  // only this stage's parts
        } catch (io.llavastream.model.ModelException e) {
            System.err.println("worker: " + e.getMessage());  // e.g. an engine whose provider this build lacks
            return 2;
        }
        String modelId = ModelDirectory.open(dir, List.of()).config().modelId();
        try (AutoCloseable endpoint = serveMetrics(worker, modelId)) {
            run(worker);
        } catch (IOException e) {
            System.err.println("worker: " + e.getMessage());  // the metrics port is taken
            return 2;
        } catch (RuntimeException e) {
            System.err.println("worker: " + stage + " stopped: " + e);  // fenced, not authorized, ...
            return 1;
        }
        return 0;
    }

    /** The --metrics-port endpoint with this stage's meters and its Kafka clients' meters, or a no-op. */
    private AutoCloseable serveMetrics(Worker worker, String modelId) throws IOException {
        Optional<MetricsServer> server = metrics.start("worker", "stage", stage);  // Kafka meters get the stage too
        server.ifPresent(m -> ProcessMeters.worker(m.registry(), worker, stage, modelId));
        return server.isPresent() ? server.get() : () -> { };
    }

    /** Runs until Ctrl-C: the shutdown hook stops the worker and waits for it to close its clients. */
    private void run(Worker runtime) {
        running = runtime;
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            runtime.stop();
            await(done);
        }, "worker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "worker-progress");
            t.setDaemon(true);
            return t;
        });
        ProgressLine line = new ProgressLine(stage, runtime.stats());
        progress.scheduleAtFixedRate(line::print, progressSeconds, progressSeconds, TimeUnit.SECONDS);
        System.err.println(stage + ": running (group " + groupIdOrDefault() + "); Ctrl-C stops");
        try (AutoCloseable statusFile = status.start(() -> statusNow(runtime.stats()))) {
            runtime.run();
        } catch (Exception e) {
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        } finally {
            progress.shutdownNow();
            line.print();
            done.countDown();
        }
    }

    /** The --status-file contents: the runtime's counts and the consumer's positions. */
    /** Stops the worker as Ctrl-C would (for tests, which cannot send the JVM a signal); a no-op before it runs. */
    void stop() {
        Worker w = running;
        if (w != null) {
            w.stop();
        }
    }

    private ProcessStatus statusNow(WorkerStats stats) {
        WorkerStats.Snapshot s = stats.snapshot();
        return ProcessStatus.now("worker", stage, instanceId, "RUNNING",
                new ProcessStatus.Counts(s.records(), s.outputs(), s.deadLetters(), s.aborts(), s.inFlight()),
                ConsumedPositions.snapshot());
    }

    WorkerConfig checkedConfig() throws IOException {
        return checkedConfig(System.getenv());
    }

    /** The worker's settings from its flags, its config file and {@code env} (LLAVA_ENGINE); bad values throw. */
    WorkerConfig checkedConfig(Map<String, String> env) throws IOException {
        metrics.check();
        if (!Workers.STAGES.contains(stage)) {
            throw new IllegalArgumentException("--stage must be one of " + Workers.STAGES + ", got " + stage);
        }
        return new WorkerConfig(settings(env));
    }

    private Map<String, Object> settings(Map<String, String> env) throws IOException {
        Map<String, Object> p = new HashMap<>(kafka.load().common());
        p.put(WorkerConfig.STAGE, stage);
        p.put(WorkerConfig.MAX_BATCH_SIZE, maxBatch);
        p.put(WorkerConfig.TENSOR_DTYPE, tensorDtype.dtype().name());
        p.put(WorkerConfig.BATCH_LINGER_MS, lingerMs);
        putIfSet(p, WorkerConfig.DECODE_STREAM_TOKENS, streamTokens);  // unset: the file's or the default
        putIfSet(p, WorkerConfig.VISION_LABELS_ENABLED, labels);
        p.putAll(modelOptions.explicitEngineSettings(env));  // only given flags: the file's stay
        putIfSet(p, WorkerConfig.GROUP_ID, groupId);
        putIfSet(p, WorkerConfig.INSTANCE_ID, instanceId);
        putIfSet(p, WorkerConfig.SCHEMA_REGISTRY_URL, registryOptions.url);
        status.addInterceptor(p, "interceptor.classes");
        return p;
    }

    private String groupIdOrDefault() {
        return groupId != null ? groupId : "llava-" + stage;
    }

    private static void putIfSet(Map<String, Object> p, String key, Object value) {
        if (value != null) {
            p.put(key, value);
        }
    }

    private static void await(CountDownLatch done) {
        try {
            done.await(15, TimeUnit.SECONDS);  // a batch in flight finishes and commits; then the JVM exits anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * "vision: 120 records (24.0/s), 360 outputs, 1 dead letters, 0 aborts, 5 in flight", the rate since the last
     * line; in flight = consumed and not yet committed.
     */
    private static final class ProgressLine {
        private final String stage;
        private final WorkerStats stats;
        private long lastRecords;
        private long lastNanos = System.nanoTime();

        ProgressLine(String stage, WorkerStats stats) {
            this.stage = stage;
            this.stats = stats;
        }

        synchronized void print() {
            WorkerStats.Snapshot s = stats.snapshot();
            long now = System.nanoTime();
            double rate = (s.records() - lastRecords) / Math.max(1e-9, (now - lastNanos) / 1e9);
            lastRecords = s.records();
            lastNanos = now;
            String cache = s.cacheHits() + s.cacheMisses() == 0 ? ""
                    : String.format(", vision cache %d hits, %d misses", s.cacheHits(), s.cacheMisses());
            System.err.printf("%s: %d records (%.1f/s), %d outputs, %d dead letters, %d aborts, %d in flight%s%n",
                    stage, s.records(), rate, s.outputs(), s.deadLetters(), s.aborts(), s.inFlight(), cache);
        }
    }
}
