package io.llavastream.cli;

import io.llavastream.metrics.MetricsServer;
import io.llavastream.status.ConsumedPositions;
import io.llavastream.status.ProcessStatus;
import io.llavastream.topology.PipelineConfig;
import io.llavastream.topology.PipelineTopologyApp;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code topology}: runs the pipeline's Kafka Streams application against a cluster until Ctrl-C. */
@Command(name = "topology", mixinStandardHelpOptions = true, description = {
        "Run the pipeline's Kafka Streams topology (exactly_once_v2) until Ctrl-C: validates posts, splits them into "
                + "one task per image, sends each image past the vision cache to the vision or the merge stage, "
                + "and assembles captioned posts from the answers. The stage workers run separately."})
final class TopologyCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Mixin
    RegistryOptions registry;
    @Mixin
    StatusOptions status;
    @Mixin
    MetricsOptions metrics;
    @Option(names = "--vision-model-id", required = true, paramLabel = "ID", description = "The vision tower id "
            + "the vision workers write into the cache (vision.model.id; the model's config.json vision_model_id), "
            + "e.g. llava-stream/demo-v1-vision-02d6bfcf2b9b.")
    String visionModelId;
    @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Any other topology setting, e.g. "
            + "--set max.images.per.post=8 --set replication.factor=1 (see --list-config).")
    Map<String, String> settings = new LinkedHashMap<>();
    @Spec
    CommandSpec spec;
    @SuppressWarnings("deprecation")
    @Option(names = "--list-config", help = true,
            description = "Print the topology's settings (name, type, default, doc) and exit.")
    boolean listConfig;
    /** Counted down by {@link #stop}. */
    private final CountDownLatch stopRequested = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        if (listConfig) {
            listConfig(System.out);
            return 0;
        }
        Map<String, Object> pipeline = new HashMap<>(settings);
        pipeline.put(PipelineConfig.VISION_MODEL_ID_CONFIG, visionModelId);
        PipelineConfig config;
        try {
            config = new PipelineConfig(pipeline);
        } catch (ConfigException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        var client = kafka.load();
        java.util.Properties clientProperties = client.properties();
        status.addInterceptor(clientProperties, "main.consumer.interceptor.classes");
        PipelineTopologyApp app = PipelineTopologyApp.start(client.bootstrapServers(), clientProperties, config,
                registry.connect());
        Optional<MetricsServer> endpoint = metrics.start("topology");
        endpoint.ifPresent(m -> app.bindTo(m.registry()));
        try (AutoCloseable metricsServer = endpoint.isPresent() ? endpoint.get() : () -> { };
             AutoCloseable statusFile = status.start(() -> ProcessStatus.now("topology", "topology",
                (String) client.common().get("group.instance.id"), app.state().name(), ProcessStatus.Counts.NONE,
                ConsumedPositions.snapshot()))) {
            return runUntilStopped(app, config, client.bootstrapServers());
        }
    }

    /** Waits for Ctrl-C (0) or for the Streams instance to stop on its own (1). */
    private int runUntilStopped(PipelineTopologyApp app, PipelineConfig config, String bootstrapServers)
            throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop(app);
            stopped.countDown();
        }, "topology-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (app.wipedForeignState()) {
            System.err.println("local state left by another Kafka cluster was wiped; it is restored from this one's "
                    + "topics (docs/reliability.md)");
        }
        System.err.println("topology " + config.applicationId() + " started against " + bootstrapServers
                + "; Ctrl-C to stop");
        while (!stopped.await(1, TimeUnit.SECONDS)) {
            if (stopRequested.getCount() == 0) {
                Runtime.getRuntime().removeShutdownHook(hook);
                stop(app);
                return 0;
            }
            KafkaStreams.State s = app.state();
            if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING) {
                Runtime.getRuntime().removeShutdownHook(hook);
                stop(app);
                System.err.println("topology stopped on its own (state " + s + ", e.g. after "
                        + PipelineConfig.MAX_THREAD_FAILURES_CONFIG + " stream thread deaths in a row); see the log "
                        + "above");
                return 1;
            }
        }
        return 0;
    }

    /** Stops the topology as Ctrl-C would (for tests, which cannot send the JVM a signal); exit status 0. */
    void stop() {
        stopRequested.countDown();
    }

    private static void stop(PipelineTopologyApp app) {
        app.close();
        System.err.println("topology stopped");
    }

    static void listConfig(PrintStream out) {
        for (ConfigDef.ConfigKey k : PipelineConfig.DEFINITION.configKeys().values()) {
            String dflt = !k.hasDefault() ? "(required)" : k.defaultValue == null ? "default null"
                    : "default " + String.valueOf(k.defaultValue).replace("\n", "\\n");
            out.println(k.name + " (" + k.type.name().toLowerCase() + ", " + dflt
                    + (k.validator == null ? "" : ", " + k.validator) + ")");
            out.println("    " + k.documentation);
        }
    }
}
