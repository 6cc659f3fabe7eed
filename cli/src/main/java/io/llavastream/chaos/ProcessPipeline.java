package io.llavastream.chaos;

import io.llavastream.rules.StageName;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.serde.SchemaRegistryServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The multi-process pipeline of the README's recipe, each process a JVM of its own on this machine: {@code broker
 * --data-dir} (with its schema registry, or none when the registry runs separately in this JVM),
 * {@code topology}, and N {@code worker --stage S} per stage, each with a stable instance id (a worker's
 * {@code --instance-id}, from which it derives its transactional id and group.instance.id; the topology's
 * group.instance.id through {@code LLAVA_KAFKA_GROUP_INSTANCE_ID}, and a state directory of its own, which keeps
 * Kafka Streams' process id and so its transactional ids) and a {@code --status-file}. A killed process restarts with the same id, so it
 * fences its dead predecessor at once. Everything lives under one work directory: data, state, status, logs.
 */
public final class ProcessPipeline implements AutoCloseable {
    /**
     * @param workDir           everything of the run goes here
     * @param modelDir          the workers' model
     * @param visionModelId     the topology's vision.model.id
     * @param workersPerStage   N
     * @param heap              -Xmx of each process, e.g. "1g"
     * @param separateRegistry  true: the registry runs in this JVM (so that it can be stopped alone); false: beside
     *                          the broker, in its process, as {@code broker} runs it
     * @param statusIntervalMs  how often the status files are rewritten
     * @param jvmOptions        more JVM options for every process
     */
    public record Settings(Path workDir, Path modelDir, String visionModelId, int workersPerStage, String heap,
                           boolean separateRegistry, long statusIntervalMs, List<String> jvmOptions) {
    }

    private final Settings settings;
    private final JavaCommand java;
    private final int brokerPort;
    private final int registryPort;
    private final ManagedProcess broker;
    private final ManagedProcess topology;
    private final List<ManagedProcess> workers = new ArrayList<>();
    private final InMemorySchemaRegistry separateStore = new InMemorySchemaRegistry();
    private SchemaRegistryServer separateServer;

    private ProcessPipeline(Settings settings) throws IOException {
        this.settings = settings;
        this.java = JavaCommand.ofThisJvm(settings.heap(), settings.jvmOptions());
        for (String dir : List.of("data", "state", "status", "logs")) {
            Files.createDirectories(settings.workDir().resolve(dir));
        }
        this.brokerPort = freePort();
        this.registryPort = freePort();
        this.broker = brokerProcess();
        this.topology = topologyProcess();
        for (StageName stage : StageName.WORKER_STAGES) {
            for (int i = 0; i < settings.workersPerStage(); i++) {
                workers.add(workerProcess(stage.id(), i));
            }
        }
    }

    /** Starts the broker (and the registry), then the topology and the workers, and waits until all are running. */
    public static ProcessPipeline start(Settings settings, Consumer<String> log)
            throws IOException, InterruptedException {
        ProcessPipeline p = new ProcessPipeline(settings);
        try {
            p.startAll(log);
        } catch (RuntimeException | IOException | InterruptedException e) {
            p.close();
            throw e;
        }
        return p;
    }

    private void startAll(Consumer<String> log) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        if (settings.separateRegistry()) {
            startRegistry();
        }
        broker.start();
        try (GroupProbe probe = new GroupProbe(bootstrapServers())) {
            Readiness.awaitBroker(broker, probe, registryUrl(), Duration.ofSeconds(180));
            log.accept(String.format("broker up at %s, registry at %s (%.1f s)", bootstrapServers(), registryUrl(),
                    (System.nanoTime() - t0) / 1e9));
            topology.start();
            workers.forEach(ManagedProcess::start);
            Readiness.awaitRunning(all(), probe, Duration.ofSeconds(300));
        }
        log.accept(String.format("topology and %d workers running (%.1f s)", workers.size(),
                (System.nanoTime() - t0) / 1e9));
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    public String registryUrl() {
        return "http://127.0.0.1:" + registryPort;
    }

    public ManagedProcess broker() {
        return broker;
    }

    public ManagedProcess topology() {
        return topology;
    }

    public List<ManagedProcess> workers() {
        return List.copyOf(workers);
    }

    /** Broker, topology, workers. */
    public List<ManagedProcess> all() {
        List<ManagedProcess> all = new ArrayList<>();
        all.add(broker);
        all.add(topology);
        all.addAll(workers);
        return all;
    }

    public Settings settings() {
        return settings;
    }

    /** Stops the broker cleanly (SIGTERM) and starts it again on the same data directory and port. */
    public Duration restartBroker(GroupProbe probe) throws InterruptedException {
        long t0 = System.nanoTime();
        broker.stop(60);
        broker.start();
        Readiness.awaitBroker(broker, probe, registryUrl(), Duration.ofSeconds(180));
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Starts the separate registry on its port, with the schemas it had (an outage ends, nothing is lost). */
    public synchronized void startRegistry() throws IOException {
        requireSeparateRegistry();
        separateServer = SchemaRegistryServer.start(separateStore, registryPort);
    }

    /** Stops the separate registry: every call to it fails until {@link #startRegistry}. */
    public synchronized void stopRegistry() {
        requireSeparateRegistry();
        if (separateServer != null) {
            separateServer.close();
            separateServer = null;
        }
    }

    /** Stops every process (SIGTERM, then SIGKILL after a grace period) and the separate registry. */
    @Override
    public void close() {
        List<ManagedProcess> order = new ArrayList<>(workers);
        order.add(topology);
        order.add(broker);
        for (ManagedProcess p : order) {
            try {
                p.stop(p == broker ? 60 : 20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (settings.separateRegistry()) {
            stopRegistry();
        }
    }

    private void requireSeparateRegistry() {
        if (!settings.separateRegistry()) {
            throw new IllegalStateException("the registry runs inside the broker's process here; start the "
                    + "pipeline with a separate registry to stop it alone");
        }
    }

    private ManagedProcess brokerProcess() {
        List<String> args = new ArrayList<>(List.of("broker", "--port", Integer.toString(brokerPort),
                "--registry-port", settings.separateRegistry() ? "-1" : Integer.toString(registryPort),
                "--data-dir", dir("data").toString()));
        return process("broker", "broker", null, null, args, Map.of());
    }

    private ManagedProcess topologyProcess() {
        String id = "topology-0";
        List<String> args = new ArrayList<>(List.of("topology", "--vision-model-id", settings.visionModelId(),
                "--set", "replication.factor=1", "--set", "state.dir=" + dir("state").resolve(id)));
        kafkaArgs(args);
        return process(id, "topology", "topology", id, args, stableIdentity(id, true));
    }

    private ManagedProcess workerProcess(String stage, int index) {
        String id = stage + "-" + index;
        List<String> args = new ArrayList<>(List.of("worker", "--stage", stage, "--instance-id", id,
                "--model", settings.modelDir().toString(), "--threads", "1", "--progress-seconds", "10"));
        kafkaArgs(args);
        return process(id, "worker", stage, id, args, stableIdentity(id, false));
    }

    private void kafkaArgs(List<String> args) {
        args.addAll(List.of("--bootstrap-servers", bootstrapServers(), "--schema-registry-url", registryUrl()));
    }

    /**
     * A client id the probes can find the process by, its stable instance id; for the topology also its
     * group.instance.id (static membership). A worker derives its own from --instance-id.
     */
    private static Map<String, String> stableIdentity(String instanceId, boolean topology) {
        Map<String, String> env = new HashMap<>();
        if (topology) {
            env.put("LLAVA_KAFKA_GROUP_INSTANCE_ID", instanceId);
        }
        env.put("LLAVA_KAFKA_CLIENT_ID", instanceId);
        return env;
    }

    private ManagedProcess process(String name, String role, String stage, String instanceId, List<String> args,
                                   Map<String, String> env) {
        Path status = dir("status").resolve(name + ".json");
        args.addAll(List.of("--status-file", status.toString(), "--status-interval-ms",
                Long.toString(settings.statusIntervalMs())));
        Map<String, String> environment = new HashMap<>(env);
        environment.put("DJL_OFFLINE", "true");
        return new ManagedProcess(name, role, stage, instanceId, java.command(args), environment, status,
                dir("logs").resolve(name + ".log"));
    }

    private Path dir(String name) {
        return settings.workDir().resolve(name).toAbsolutePath();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free local port", e);
        }
    }
}
