package io.llavastream.cli;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.worker.Stage;
import io.llavastream.worker.StageRuntime;
import io.llavastream.worker.Stages;
import io.llavastream.worker.WorkerConfig;
import io.llavastream.worker.WorkerStats;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code worker}: runs one pipeline stage as its own process, until Ctrl-C. */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Run one pipeline stage (its own consumer group) until Ctrl-C, printing progress to stderr.")
final class WorkerCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--stage", required = true, description = "vision or merge.")
    String stage;
    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT", description = "Kafka brokers.")
    String bootstrapServers;
    @Option(names = "--model", description = "Model directory (default: the bundled demo model).")
    Path model;
    @Option(names = "--threads", defaultValue = "0",
            description = "ONNX Runtime intra-op threads per graph (0 = up to 4, one per core).")
    int threads;
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
    @Option(names = "--client-config", paramLabel = "FILE",
            description = "Kafka client properties (security.protocol, sasl.*, ssl.*, ...).")
    Path clientConfig;
    @Option(names = "--schema-registry-url", paramLabel = "URL",
            description = "Confluent-compatible schema registry; required unless --embedded-registry.")
    String schemaRegistryUrl;
    @Option(names = "--embedded-registry", description = "Use a registry inside this JVM: only for a demo where "
            + "every producer and consumer runs in this same process.")
    boolean embeddedRegistry;
    @Option(names = "--progress-seconds", defaultValue = "5", description = "Progress line interval "
            + "(default ${DEFAULT-VALUE}).")
    long progressSeconds;

    @Override
    public Integer call() throws Exception {
        WorkerConfig config;
        SchemaRegistry registry;
        try {
            config = checkedConfig();
            registry = registry();
        } catch (ConfigException | IllegalArgumentException | IllegalStateException e) {
            System.err.println("worker: " + e.getMessage());
            return 2;
        }
        EngineOptions engine = threads > 0 ? EngineOptions.threads(threads) : EngineOptions.cpu();
        Path dir = model != null ? model : ModelDirectory.bundled();
        try (LlavaModel m = LlavaModel.load(dir, engine)) {
            Stage<?> s = Stages.create(stage, m, Clock.systemUTC());
            run(StageRuntime.create(s, config, registry));
        }
        return 0;
    }

    /** Runs until Ctrl-C: the shutdown hook stops the runtime and waits for it to close its clients. */
    private void run(StageRuntime<?> runtime) {
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
        try {
            runtime.run();
        } finally {
            progress.shutdownNow();
            line.print();
            done.countDown();
        }
    }

    private WorkerConfig checkedConfig() throws IOException {
        if (!Stages.NAMES.contains(stage)) {
            throw new IllegalArgumentException("--stage must be one of " + Stages.NAMES + ", got " + stage);
        }
        return new WorkerConfig(settings());
    }

    private Map<String, Object> settings() throws IOException {
        Map<String, Object> p = new HashMap<>();
        if (clientConfig != null) {
            Properties props = new Properties();
            try (Reader r = Files.newBufferedReader(clientConfig)) {
                props.load(r);
            }
            props.forEach((k, v) -> p.put((String) k, v));
        }
        p.put(WorkerConfig.STAGE, stage);
        p.put(WorkerConfig.BOOTSTRAP_SERVERS, bootstrapServers);
        p.put(WorkerConfig.MAX_BATCH_SIZE, maxBatch);
        p.put(WorkerConfig.BATCH_LINGER_MS, lingerMs);
        putIfSet(p, WorkerConfig.GROUP_ID, groupId);
        putIfSet(p, WorkerConfig.INSTANCE_ID, instanceId);
        putIfSet(p, WorkerConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl);
        return p;
    }

    private SchemaRegistry registry() {
        if (embeddedRegistry) {
            return new InMemorySchemaRegistry();
        }
        if (schemaRegistryUrl == null) {
            throw new IllegalArgumentException("--schema-registry-url is required (or --embedded-registry for an "
                    + "in-JVM demo): separate processes must share one registry");
        }
        return restRegistry(schemaRegistryUrl);
    }

    /**
     * The REST client, io.llavastream.serde.ConfluentSchemaRegistryClient(String url), looked up by name because it
     * is being written on another branch; call its constructor directly once it is merged.
     */
    private static SchemaRegistry restRegistry(String url) {
        try {
            return (SchemaRegistry) Class.forName("io.llavastream.serde.ConfluentSchemaRegistryClient")
                    .getConstructor(String.class).newInstance(url);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("REST schema registry client not available yet: "
                    + "--schema-registry-url cannot be used in this build; use --embedded-registry for an in-JVM demo");
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the schema registry client for " + url + ": " + e, e);
        }
    }

    private String groupIdOrDefault() {
        return groupId != null ? groupId : "llava-" + stage;
    }

    private static void putIfSet(Map<String, Object> p, String key, String value) {
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

    /** "vision: 120 records (24.0/s), 360 outputs, 1 dead letters, 0 aborts", the rate since the last line. */
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
            System.err.printf("%s: %d records (%.1f/s), %d outputs, %d dead letters, %d aborts%n", stage,
                    s.records(), rate, s.outputs(), s.deadLetters(), s.aborts());
        }
    }
}
