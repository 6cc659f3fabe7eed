package io.llavastream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.llavastream.topics.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Lints the Helm chart in strict mode and renders it for the default and the GPU values with helm-java (Helm as a
 * native library), then checks the rendered objects: a StatefulSet per role whose pods pass their stable pod name as
 * their instance id (static membership, transactional ids), the topology's state volume, each stage's KEDA
 * ScaledObject and its kafka lag trigger, GPU requests, PodDisruptionBudgets and the topics Job; and validates them
 * against the Kubernetes schemas (tools/k8s-validate, kubernetes-models on node; KEDA's and the Prometheus Operator's
 * CRD schemas for ScaledObjects, ServiceMonitors and PodMonitors). The metrics objects are checked in
 * {@link HelmMonitorsTest}, the dashboard in {@link GrafanaDashboardTest}.
 */
class HelmChartTest {

    static final Path ROOT = Path.of(System.getProperty("llava.repo.root", "..")).toAbsolutePath().normalize();
    static final Path CHART = ROOT.resolve("helm/llava-stream");
    static final Path GPU_VALUES = CHART.resolve("values-gpu.yaml");
    static final String RELEASE = "llava";
    /** helm template otherwise assumes v1.20, below the chart's kubeVersion. */
    static final String KUBE_VERSION = "v1.30.0";
    static final String PREFIX = "llava-llava-stream-";
    static final Map<String, String> STAGE_TOPICS = Map.of(
            "vision", "llava.vision-requests", "merge", "llava.merge-requests", "decode", "llava.decode-requests");
    static final Set<String> GPU_STAGES = Set.of("vision", "decode");
    static final String STATE_DIR = "/var/lib/llava-stream/state";
    static final ObjectMapper YAML = new YAMLMapper();
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void lintsStrictForDefaultValues() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
    }

    @Test
    void lintsStrictForGpuValues(@TempDir Path tmp) throws IOException {
        // helm-java's lint takes no values file: lint a copy whose values.yaml has values-gpu.yaml merged in.
        Path copy = tmp.resolve("llava-stream");
        copyTree(CHART, copy);
        JsonNode merged = merge(YAML.readTree(CHART.resolve("values.yaml").toFile()), YAML.readTree(GPU_VALUES.toFile()));
        YAML.writeValue(copy.resolve("values.yaml").toFile(), merged);
        LintResult lint = new Helm(copy).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict (GPU values): %s", lint.getMessages()).isFalse();
    }

    @Test
    void defaultValuesRenderEveryRoleOnTheCpu() throws Exception {
        List<JsonNode> objects = render(null);
        checkCommon(objects);
        for (String stage : STAGE_TOPICS.keySet()) {
            JsonNode c = container(workload(objects, stage));
            assertThat(c.path("resources").path("requests").has("nvidia.com/gpu")).as(stage).isFalse();
            assertThat(c.path("resources").path("limits").has("nvidia.com/gpu")).as(stage).isFalse();
            assertThat(env(c, "LLAVA_ENGINE")).as(stage).isEqualTo("cpu");
            assertThat(c.path("image").asText()).isEqualTo("llava-stream:0.1.0");
        }
    }

    @Test
    void gpuValuesPutVisionAndDecodeOnGpus() throws Exception {
        List<JsonNode> objects = render(GPU_VALUES);
        checkCommon(objects);
        for (String stage : STAGE_TOPICS.keySet()) {
            JsonNode pod = workload(objects, stage).path("spec").path("template").path("spec");
            JsonNode c = container(workload(objects, stage));
            boolean gpu = GPU_STAGES.contains(stage);
            assertThat(c.path("resources").path("limits").path("nvidia.com/gpu").asInt(0)).as(stage).isEqualTo(gpu ? 1 : 0);
            assertThat(c.path("resources").path("requests").path("nvidia.com/gpu").asInt(0)).as(stage).isEqualTo(gpu ? 1 : 0);
            assertThat(env(c, "LLAVA_ENGINE")).as(stage).isEqualTo(gpu ? "cuda" : "cpu");
            assertThat(c.path("image").asText()).as(stage).isEqualTo(gpu ? "llava-stream-gpu:0.1.0" : "llava-stream:0.1.0");
            assertThat(pod.path("tolerations").toString()).as(stage).contains(gpu ? "nvidia.com/gpu" : "");
            if (!gpu) {
                assertThat(pod.has("tolerations")).as(stage).isFalse();
            }
        }
    }

    @Test
    void autoscalingCapsAtPartitionsAndModelComesFromAVolumeOrAnImage() throws Exception {
        List<JsonNode> objects = parse(renderImageModelWithTwelveVisionReplicas());
        JsonNode so = byKindAndName(objects, "ScaledObject", PREFIX + "vision");
        assertThat(so.path("spec").path("maxReplicaCount").asInt()).isEqualTo(6);
        JsonNode pod = workload(objects, "decode").path("spec").path("template").path("spec");
        assertThat(pod.path("initContainers").get(0).path("image").asText()).isEqualTo("llava-stream-model:latest");
        assertThat(args(container(workload(objects, "decode")))).containsSequence("--model", "/models");

        objects = parse(renderVolumeModelWithoutAutoscaling());
        assertThat(objects.stream().filter(o -> o.path("kind").asText().equals("ScaledObject"))).isEmpty();
        JsonNode topology = workload(objects, "topology");
        assertThat(topology.path("spec").has("volumeClaimTemplates")).isFalse();
        assertThat(topology.path("spec").path("template").path("spec").path("volumes").toString())
                .contains("{\"name\":\"state\",\"emptyDir\":{}}");
        JsonNode d = workload(objects, "merge");
        assertThat(d.path("spec").path("replicas").asInt()).isEqualTo(1);
        assertThat(d.path("spec").path("template").path("spec").path("volumes").toString()).contains("\"claimName\":\"llava-model\"");
        assertThat(args(container(d))).containsSequence("--model", "/models/llava-1.5-7b");
    }

    /**
     * Its own test, so that without node and tools/k8s-validate/node_modules Surefire reports exactly this check as
     * skipped, with the reason, while the render checks above still run and count.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void renderedObjectsValidateAgainstTheKubernetesSchemas(String name, Supplier<String> rendering) throws Exception {
        assumeKubernetesValidatorInstalled();
        validateSchemas(parse(rendering.get()));
    }

    static Stream<Arguments> renderings() {
        Supplier<String> defaults = () -> new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION).call();
        Supplier<String> withTopicsJob = () -> new Helm(CHART).template().withName(RELEASE)
                .withKubeVersion(KUBE_VERSION).set("topics.hook", false).call();
        Supplier<String> gpu = () -> new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION)
                .withValuesFile(GPU_VALUES).call();
        return Stream.of(Arguments.of("default values", defaults),
                Arguments.of("topics Job as a plain object", withTopicsJob),
                Arguments.of("GPU values", gpu),
                Arguments.of("model from an image, 12 vision replicas", (Supplier<String>) HelmChartTest::renderImageModelWithTwelveVisionReplicas),
                Arguments.of("model from a volume, no autoscaling", (Supplier<String>) HelmChartTest::renderVolumeModelWithoutAutoscaling),
                Arguments.of("ServiceMonitor and Grafana dashboard",
                        (Supplier<String>) HelmMonitorsTest::renderWithServiceMonitorAndDashboard),
                Arguments.of("PodMonitor", (Supplier<String>) HelmMonitorsTest::renderWithPodMonitor));
    }

    private static String renderImageModelWithTwelveVisionReplicas() {
        return new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION)
                .set("stages.vision.maxReplicas", 12).set("model.source", "image").call();
    }

    private static String renderVolumeModelWithoutAutoscaling() {
        return new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION)
                .set("model.source", "volume").set("model.volume.claimName", "llava-model").set("model.subPath", "llava-1.5-7b")
                .set("autoscaling.enabled", false).set("topology.persistence.enabled", false).call();
    }

    private static void checkCommon(List<JsonNode> objects) {
        JsonNode topology = workload(objects, "topology");
        List<String> targs = args(container(topology));
        assertThat(targs).startsWith("topology").containsSequence("--vision-model-id", "llava-stream/demo-v1-vision-02d6bfcf2b9b")
                .containsSequence("--bootstrap-servers", "kafka:9092")
                .containsSequence("--schema-registry-url", "http://schema-registry:8081")
                .containsSequence("--client-config", "/etc/llava-stream/kafka/client.properties")
                .containsSequence("--set", "state.dir=" + STATE_DIR);
        checkStableIdentity(objects, "topology");
        assertThat(topology.path("spec").path("volumeClaimTemplates").get(0).path("metadata").path("name").asText())
                .isEqualTo("state");
        assertThat(container(topology).path("volumeMounts").toString())
                .contains("\"name\":\"state\",\"mountPath\":\"" + STATE_DIR + "\"");
        int partitionsOf;
        // helm template leaves hooks out: the topics Job, a post-install/pre-upgrade hook, shows with topics.hook=false.
        assertThat(objects.stream().filter(o -> o.path("kind").asText().equals("Job"))).isEmpty();
        List<JsonNode> withJob = parse(new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION)
                .set("topics.hook", false).call());
        JsonNode job = byKindAndName(withJob, "Job", PREFIX + "topics");
        assertThat(job.path("metadata").path("annotations").path("helm.sh/hook").isMissingNode()).isTrue();
        assertThat(container(job).path("image").asText()).isEqualTo("apache/kafka:4.1.0");
        String script = container(job).path("command").get(2).asText();
        // one create per topic of Topics.ALL but llava.bench-hops (ComposeAndChartTest checks which ones)
        assertThat(script.lines().filter(l -> l.contains("kafka-topics.sh --bootstrap-server")))
                .hasSize(Topics.ALL.size() - ComposeAndChartTest.NOT_DEPLOYED_BY_THE_CHART.size());
        assertThat(script).contains("--topic llava.vision-features --partitions 6 --replication-factor 3 "
                + "--config \"cleanup.policy=compact\" --config \"max.message.bytes=16777216\"");
        for (String stage : STAGE_TOPICS.keySet()) {
            String topic = STAGE_TOPICS.get(stage);
            assertThat(script).contains("--topic " + topic + " --partitions 6 ");
            JsonNode d = workload(objects, stage);
            JsonNode c = container(d);
            assertThat(args(c)).startsWith("worker", "--stage", stage).contains("--client-config")
                    .containsSequence("--instance-id", "$(POD_NAME)");
            checkStableIdentity(objects, stage);
            assertThat(c.path("startupProbe").path("failureThreshold").asInt()
                    * c.path("startupProbe").path("periodSeconds").asInt()).as(stage).isGreaterThanOrEqualTo(180);

            JsonNode so = byKindAndName(objects, "ScaledObject", PREFIX + stage);
            assertThat(so.path("apiVersion").asText()).isEqualTo("keda.sh/v1alpha1");
            JsonNode spec = so.path("spec");
            assertThat(spec.path("scaleTargetRef").path("name").asText()).isEqualTo(PREFIX + stage);
            assertThat(spec.path("scaleTargetRef").path("kind").asText()).isEqualTo("StatefulSet");
            partitionsOf = 6;
            assertThat(spec.path("maxReplicaCount").asInt()).as(stage).isBetween(1, partitionsOf);
            assertThat(spec.path("minReplicaCount").asInt()).as(stage).isLessThanOrEqualTo(spec.path("maxReplicaCount").asInt());
            assertThat(spec.path("triggers")).hasSize(1);
            JsonNode trigger = spec.path("triggers").get(0);
            assertThat(trigger.path("type").asText()).isEqualTo("kafka");
            JsonNode m = trigger.path("metadata");
            assertThat(m.path("consumerGroup").asText()).isEqualTo("llava-" + stage);
            assertThat(m.path("topic").asText()).isEqualTo(topic);
            assertThat(m.path("bootstrapServers").asText()).isEqualTo("kafka:9092");
            assertThat(Integer.parseInt(m.path("lagThreshold").asText())).isPositive();
            // KEDA's trigger metadata is map[string]string: every value must render as a string.
            m.fields().forEachRemaining(e -> assertThat(e.getValue().isTextual()).as(e.getKey()).isTrue());

            JsonNode pdb = byKindAndName(objects, "PodDisruptionBudget", PREFIX + stage);
            assertThat(pdb.path("spec").path("selector").path("matchLabels"))
                    .isEqualTo(d.path("spec").path("selector").path("matchLabels"));
            assertThat(d.path("spec").path("template").path("metadata").path("labels").path("app.kubernetes.io/component")
                    .asText()).isEqualTo(stage);
        }
        byKindAndName(objects, "PodDisruptionBudget", PREFIX + "topology");
        byKindAndName(objects, "Secret", PREFIX + "kafka-client");
    }

    /**
     * The role's pods are a StatefulSet's (ordinal names that survive restarts) with a headless Service, and pass
     * their pod name (downward API) as their identity: a worker as --instance-id (its transactional id and
     * group.instance.id), the topology as group.instance.id. Static membership: a restarted pod rejoins with its
     * partitions at once.
     */
    private static void checkStableIdentity(List<JsonNode> objects, String role) {
        JsonNode set = workload(objects, role);
        assertThat(set.path("spec").path("serviceName").asText()).as(role).isEqualTo(PREFIX + role);
        assertThat(byKindAndName(objects, "Service", PREFIX + role).path("spec").path("clusterIP").asText())
                .as(role).isEqualTo("None");
        JsonNode c = container(set);
        JsonNode podName = envVar(c, "POD_NAME");
        assertThat(podName.path("valueFrom").path("fieldRef").path("fieldPath").asText()).as(role)
                .isEqualTo("metadata.name");
        if (role.equals("topology")) {
            assertThat(env(c, "LLAVA_KAFKA_GROUP_INSTANCE_ID")).as(role).isEqualTo("$(POD_NAME)");
            // Kubernetes expands $(POD_NAME) only from variables defined earlier in the list
            assertThat(envIndex(c, "POD_NAME")).as(role).isLessThan(envIndex(c, "LLAVA_KAFKA_GROUP_INSTANCE_ID"));
        } else {
            assertThat(args(c)).as(role).containsSequence("--instance-id", "$(POD_NAME)");
            assertThat(envIndex(c, "LLAVA_KAFKA_GROUP_INSTANCE_ID")).as("%s derives it from --instance-id", role)
                    .isEqualTo(-1);
        }
    }

    // --- rendering and parsing

    private static List<JsonNode> render(Path valuesFile) {
        var template = new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION);
        if (valuesFile != null) {
            template = template.withValuesFile(valuesFile);
        }
        return parse(template.call());
    }

    static List<JsonNode> parse(String yaml) {
        List<JsonNode> out = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(yaml)) {
            Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && n.isObject() && n.size() > 0) {
                    out.add(n);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("rendered chart is not valid YAML:\n" + yaml, e);
        }
        assertThat(out).isNotEmpty();
        for (JsonNode o : out) {
            assertThat(o.path("apiVersion").asText()).as("apiVersion of %s", o).isNotEmpty();
            assertThat(o.path("kind").asText()).as("kind of %s", o).isNotEmpty();
            assertThat(o.path("metadata").path("name").asText()).as("name of %s", o).matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
        }
        return out;
    }

    static JsonNode byKindAndName(List<JsonNode> objects, String kind, String name) {
        return objects.stream()
                .filter(o -> o.path("kind").asText().equals(kind) && o.path("metadata").path("name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    /** The role's StatefulSet: every role runs as one, for its pods' stable names. */
    static JsonNode workload(List<JsonNode> objects, String role) {
        return byKindAndName(objects, "StatefulSet", PREFIX + role);
    }

    static JsonNode container(JsonNode workload) {
        JsonNode containers = workload.path("spec").path("template").path("spec").path("containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    static List<String> args(JsonNode container) {
        List<String> out = new ArrayList<>();
        container.path("args").forEach(a -> out.add(a.asText()));
        return out;
    }

    static JsonNode envVar(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("no env var " + name + " in " + container.path("env"));
    }

    static int envIndex(JsonNode container, String name) {
        int i = 0;
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(name)) {
                return i;
            }
            i++;
        }
        return -1;
    }

    static String env(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(name)) {
                return e.path("value").asText();
            }
        }
        return null;
    }

    static JsonNode merge(JsonNode base, JsonNode overlay) {
        if (base instanceof ObjectNode b && overlay instanceof ObjectNode o) {
            o.fields().forEachRemaining(e -> b.set(e.getKey(), merge(b.get(e.getKey()), e.getValue())));
            return b;
        }
        return overlay;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.naturalOrder())::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    // --- Kubernetes schema validation (node + kubernetes-models)

    static final Path K8S_VALIDATE = ROOT.resolve("tools/k8s-validate");

    /** Skips the calling test without node and kubernetes-models, unless LLAVA_REQUIRE_K8S_VALIDATE=1 (CI): fails. */
    static void assumeKubernetesValidatorInstalled() {
        boolean required = "1".equals(System.getenv("LLAVA_REQUIRE_K8S_VALIDATE"));
        boolean ready = Files.isDirectory(K8S_VALIDATE.resolve("node_modules/kubernetes-models")) && onPath("node");
        if (!ready && required) {
            throw new AssertionError("LLAVA_REQUIRE_K8S_VALIDATE=1 but node or tools/k8s-validate/node_modules is "
                    + "missing: run (cd tools/k8s-validate && npm ci)");
        }
        assumeTrue(ready, "node or tools/k8s-validate/node_modules missing (cd tools/k8s-validate && npm ci): "
                + "Kubernetes schema validation skipped");
    }

    static void validateSchemas(List<JsonNode> objects) throws Exception {
        Validation v = runValidator(objects);
        assertThat(v.exit()).as("k8s-validate output:\n%s", v.output()).isZero();
        assertThat(v.output()).contains("validated " + objects.size() + " objects");
    }

    /** What tools/k8s-validate said about {@code objects}: its exit status and its output. */
    record Validation(int exit, String output) {
    }

    static Validation runValidator(List<JsonNode> objects) throws Exception {
        Path tool = K8S_VALIDATE;
        ArrayNode array = JSON.createArrayNode();
        objects.forEach(array::add);
        Process p = new ProcessBuilder("node", "validate.mjs").directory(tool.toFile()).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(JSON.writeValueAsBytes(array));
        }
        String out;
        try (InputStream o = p.getInputStream()) {
            out = new String(o.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Validation(p.exitValue(), out);
    }

    static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
