package io.llavastream.pipeline;

import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.serde.KafkaSchemaRegistry;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SchemaRegistryServer;
import io.llavastream.topology.PipelineConfig;
import io.llavastream.topology.PipelineTopologyApp;
import io.llavastream.worker.Worker;
import io.llavastream.schemas.LabelDefinition;
import io.llavastream.worker.WorkerConfig;
import io.llavastream.worker.Workers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Broker, registry (kept in the broker's {@code _schemas} topic, as {@code ./llava-stream broker} keeps it),
 * topology and the stage workers in this JVM. Each worker is its own consumer group with its own model parts
 * (only its stage's) and thread, exactly as it would be as a separate process; {@link #stages} lists which run
 * here, so a test can run some stages as separate processes instead.
 */
public final class EmbeddedPipeline implements AutoCloseable {
    private final EmbeddedKafkaBroker broker;
    private final SchemaRegistryServer registryServer;
    private final PipelineTopologyApp topology;
    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Path stateDir;
    private final boolean deleteStateDir;

    /**
     * @param stages  which workers run in this JVM (e.g. all of {@link Workers#STAGES})
     * @param log     progress messages for the user
     */
    public EmbeddedPipeline(Path modelDir, List<String> stages, int maxBatch, Consumer<String> log)
            throws IOException, InterruptedException {
        this(modelDir, stages, maxBatch, Map.of(), Map.of(), null, log);
    }

    /** @param topologySettings more {@link PipelineConfig} settings, e.g. source.prompts */
    public EmbeddedPipeline(Path modelDir, List<String> stages, int maxBatch, Map<String, String> topologySettings,
                            Consumer<String> log) throws IOException, InterruptedException {
        this(modelDir, stages, maxBatch, topologySettings, Map.of(), null, log);
    }

    /**
     * @param topologySettings more {@link PipelineConfig} settings, e.g. source.adapters
     * @param workerSettings   more {@link WorkerConfig} settings for every worker, e.g. decode.adapters
     */
    public EmbeddedPipeline(Path modelDir, List<String> stages, int maxBatch, Map<String, String> topologySettings,
                            Map<String, Object> workerSettings, Consumer<String> log)
            throws IOException, InterruptedException {
        this(modelDir, stages, maxBatch, topologySettings, workerSettings, null, log);
    }

    /**
     * As above, with the topology's local state in {@code stateDir}, kept on close (null: a temporary directory,
     * deleted on close), as a process of the README's recipe keeps it in the default state directory.
     */
    public EmbeddedPipeline(Path modelDir, List<String> stages, int maxBatch, Path stateDir, Consumer<String> log)
            throws IOException, InterruptedException {
        this(modelDir, stages, maxBatch, Map.of(), Map.of(), stateDir, log);
    }

    private EmbeddedPipeline(Path modelDir, List<String> stages, int maxBatch, Map<String, String> topologySettings,
                             Map<String, Object> workerSettings, Path stateDir, Consumer<String> log)
            throws IOException, InterruptedException {
        this(modelDir, stages, maxBatch, topologySettings, workerSettings, List.of(), stateDir, log);
    }

    /**
     * @param topologySettings more {@link PipelineConfig} settings
     * @param workerSettings   more {@link WorkerConfig} settings for every worker, e.g. vision.labels.enabled
     * @param labels           a label set written to the labels topic before the workers start (e.g.
     *                         {@link DemoLabels}), so the first images are scored against it
     */
    public EmbeddedPipeline(Path modelDir, List<String> stages, int maxBatch, Map<String, String> topologySettings,
                            Map<String, Object> workerSettings, List<LabelDefinition> labels, Path stateDir,
                            Consumer<String> log)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        broker = EmbeddedKafkaBroker.start();
        registryServer = SchemaRegistryServer.start(KafkaSchemaRegistry.open(Map.of("bootstrap.servers",
                broker.bootstrapServers()), KafkaSchemaRegistry.DEFAULT_TIMEOUT), 0);
        log.accept(String.format("broker at %s, schema registry at %s (%.1f s)", broker.bootstrapServers(),
                registryServer.url(), (System.nanoTime() - t0) / 1e9));
        if (!labels.isEmpty()) {
            try (LabelStore store = new LabelStore(Map.of("bootstrap.servers", broker.bootstrapServers()),
                    registry())) {
                labels.forEach(store::set);
            }
            log.accept("labels " + labels.stream().map(LabelDefinition::getLabel).toList() + " set on "
                    + io.llavastream.topics.Topics.LABELS.name());
        }
        String modelId;
        modelId = ModelDirectory.open(modelDir).config().visionModelId();
        this.deleteStateDir = stateDir == null;
        this.stateDir = stateDir == null ? Files.createTempDirectory("llava-streams") : stateDir;
        Map<String, Object> pipeline = new HashMap<>(topologySettings);
        pipeline.put(PipelineConfig.VISION_MODEL_ID_CONFIG, modelId);
        pipeline.put(PipelineConfig.REPLICATION_FACTOR_CONFIG, "1");
        pipeline.put(PipelineConfig.STATE_DIR_CONFIG, this.stateDir.toString());
        topology = PipelineTopologyApp.start(broker.bootstrapServers(), new PipelineConfig(pipeline), registry());
        for (String stage : stages) {
            Map<String, Object> settings = new HashMap<>(workerSettings);
            settings.put(WorkerConfig.STAGE, stage);
            settings.put(WorkerConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
            settings.put(WorkerConfig.MAX_BATCH_SIZE, maxBatch);
            Worker w = Workers.create(modelDir, EngineOptions.threads(1), new WorkerConfig(settings), registry());
            workers.add(w);
            Thread t = new Thread(w::run, "worker-" + stage);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        if (!topology.awaitRunning(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the topology did not reach RUNNING within 60 s: " + topology.state());
        }
        log.accept(String.format("topology and %d stage workers (%s) running (%.1f s)", stages.size(), stages,
                (System.nanoTime() - t0) / 1e9));
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public String registryUrl() {
        return registryServer.url();
    }

    /** The registry, used in-process (the REST server serves the same one to other processes). */
    public SchemaRegistry registry() {
        return registryServer.registry();
    }

    /** A client of this pipeline: posts in, topics read back read_committed. */
    public PipelineClient client() {
        return new PipelineClient(Map.of("bootstrap.servers", bootstrapServers()), registry());
    }

    public PipelineTopologyApp topology() {
        return topology;
    }

    public List<Worker> workers() {
        return workers;
    }

    @Override
    public void close() {
        workers.forEach(Worker::stop);
        for (Thread t : threads) {
            try {
                t.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        topology.close();
        registryServer.close();
        broker.close();
        if (deleteStateDir) {
            deleteQuietly(stateDir);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // a temp dir left behind is harmless
        }
    }
}
