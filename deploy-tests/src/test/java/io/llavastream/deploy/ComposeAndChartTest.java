package io.llavastream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files say what the code does: docker-compose.yml (read as Compose resolves it, and as
 * {@code docker-compose config} prints it where that is installed) and the Helm chart (rendered for the default and
 * the GPU values) must (1) run every GPU-reserving service or GPU-requesting container on a GPU engine
 * ({@code --engine} or LLAVA_ENGINE: cuda or tensorrt), and (2) create exactly the topics of
 * {@link Topics#ALL}, with their partitions and configs (compaction, record size, retention). The chart leaves out
 * {@link #NOT_DEPLOYED_BY_THE_CHART}. The last tests feed the same checks modified copies, to show they fail.
 */
class ComposeAndChartTest {
    static final Path COMPOSE = HelmChartTest.ROOT.resolve("docker-compose.yml");
    /**
     * {@link Topics#BENCH_HOPS}: {@code bench hop}'s payloads, a measurement of the broker, not part of the pipeline.
     * Compose creates it so that {@code bench hop --bootstrap-servers localhost:9092} runs against the compose
     * broker (which does not auto-create topics); a production cluster has no use for it. ({@link Topics#BENCH_SCALE}
     * is not in ALL: only the {@code bench scale} simulation creates it, on its own embedded broker.)
     */
    static final List<Topic<?>> NOT_DEPLOYED_BY_THE_CHART = List.of(Topics.BENCH_HOPS);

    static List<DeployedTopic> composeTopicsExpected(List<Topic<?>> all) {
        return DeployedTopic.of(all);
    }

    static List<DeployedTopic> chartTopicsExpected(List<Topic<?>> all) {
        List<Topic<?>> t = new ArrayList<>(all);
        t.removeAll(NOT_DEPLOYED_BY_THE_CHART);
        return DeployedTopic.of(t);
    }

    // --- compose

    @Test
    void composeGpuServicesSelectAGpuEngine() throws IOException {
        ComposeFile compose = ComposeFile.parse(Files.readString(COMPOSE));
        assertThat(compose.gpuServices()).as("the gpu profile's services")
                .containsExactlyInAnyOrder("vision-worker-gpu", "decode-worker-gpu");
        assertThat(composeGpuServicesOnTheCpu(compose)).isEmpty();
        assertThat(compose.engine("vision-worker")).isEqualTo("cpu");
    }

    @Test
    void composeCreatesExactlyTheTopicsOfTopicsAll() throws IOException {
        ComposeFile compose = ComposeFile.parse(Files.readString(COMPOSE));
        assertThat(DeployedTopic.differences("docker-compose.yml", compose.topics(), composeTopicsExpected(Topics.ALL)))
                .isEmpty();
    }

    /**
     * The same checks on the file as `docker-compose config` resolves it. Skipped without docker-compose, unless
     * LLAVA_REQUIRE_DOCKER_COMPOSE=1 (set by .ci/run once it has installed it): then it fails.
     */
    @Test
    void dockerComposeConfigRendersGpuEnginesAndTheTopicsOfTopicsAll() throws Exception {
        String rendered = dockerComposeConfig();
        ComposeFile compose = ComposeFile.parse(rendered);
        assertThat(compose.gpuServices()).containsExactlyInAnyOrder("vision-worker-gpu", "decode-worker-gpu");
        assertThat(composeGpuServicesOnTheCpu(compose)).isEmpty();
        assertThat(DeployedTopic.differences("docker-compose config", compose.topics(),
                composeTopicsExpected(Topics.ALL))).isEmpty();
    }

    // --- chart

    @Test
    void chartContainersRequestingAGpuSelectAGpuEngine() {
        List<JsonNode> defaults = render(new Helm(HelmChartTest.CHART).template());
        assertThat(RenderedChart.gpuContainers(defaults)).isEmpty();
        List<JsonNode> gpu = render(new Helm(HelmChartTest.CHART).template().withValuesFile(HelmChartTest.GPU_VALUES));
        assertThat(RenderedChart.gpuContainers(gpu)).as("the GPU values' GPU containers").hasSize(2);
        assertThat(RenderedChart.gpuContainersOnTheCpu(gpu)).isEmpty();
    }

    @Test
    void chartCreatesTheTopicsOfTopicsAllButTheBenchHopsTopic() {
        for (var template : List.of(new Helm(HelmChartTest.CHART).template(),
                new Helm(HelmChartTest.CHART).template().withValuesFile(HelmChartTest.GPU_VALUES))) {
            List<DeployedTopic> created = RenderedChart.topics(render(template.set("topics.hook", false)));
            assertThat(DeployedTopic.differences("the chart's topics Job", created, chartTopicsExpected(Topics.ALL)))
                    .isEmpty();
        }
    }

    // --- the checks fail where they should

    @Test
    void aTopicRenamedInTopicsFailsTheComposeAndTheChartCheck() throws IOException {
        List<Topic<?>> renamed = new ArrayList<>(Topics.ALL);
        renamed.set(renamed.indexOf(Topics.ANSWERS), new Topic<>("llava.answers-v2", Topics.ANSWERS.partitions(),
                Topics.ANSWERS.configs(), Topics.ANSWERS.valueType()));
        List<DeployedTopic> compose = ComposeFile.parse(Files.readString(COMPOSE)).topics();
        assertThat(DeployedTopic.differences("docker-compose.yml", compose, composeTopicsExpected(renamed)))
                .anyMatch(l -> l.contains("does not create DeployedTopic[name=llava.answers-v2"))
                .anyMatch(l -> l.contains("llava.answers,") && l.contains("not among the expected"));
        List<DeployedTopic> chart = RenderedChart.topics(render(new Helm(HelmChartTest.CHART).template()
                .set("topics.hook", false)));
        assertThat(DeployedTopic.differences("the chart", chart, chartTopicsExpected(renamed)))
                .anyMatch(l -> l.contains("does not create DeployedTopic[name=llava.answers-v2"));
    }

    @Test
    void aComposeTopicWithOtherPartitionsOrWithoutCompactionFailsTheCheck() throws IOException {
        String text = Files.readString(COMPOSE);
        String changed = replaceOnce(replaceOnce(text, "create llava.answers 6", "create llava.answers 3"),
                "create llava.vision-features 6 $$COMPACTED_LARGE", "create llava.vision-features 6 $$LARGE");
        List<String> d = DeployedTopic.differences("copy", ComposeFile.parse(changed).topics(),
                composeTopicsExpected(Topics.ALL));
        assertThat(d).hasSize(2).anyMatch(l -> l.contains("partitions=3")).anyMatch(l -> l.contains("compact"));
    }

    @Test
    void aComposeGpuServiceWithoutAGpuEngineFailsTheCheck() throws IOException {
        String text = Files.readString(COMPOSE);
        String changed = replaceOnce(text, "/models/llava-demo, --engine, cuda]", "/models/llava-demo]");
        assertThat(composeGpuServicesOnTheCpu(ComposeFile.parse(changed))).hasSize(1)
                .allMatch(l -> l.contains("-worker-gpu reserves a GPU but runs engine cpu"));
    }

    @Test
    void aChartGpuPodOnTheCpuEngineOrAChartTopicWithOtherPartitionsFailsTheCheck(@TempDir Path tmp) throws IOException {
        List<JsonNode> gpuOnCpu = render(new Helm(HelmChartTest.CHART).template()
                .withValuesFile(HelmChartTest.GPU_VALUES).set("stages.decode.engine", "cpu"));
        assertThat(RenderedChart.gpuContainersOnTheCpu(gpuOnCpu)).singleElement().asString()
                .contains("StatefulSet/llava-llava-stream-decode").contains("runs engine cpu");
        // a copy of values.yaml with llava.answers on 3 partitions (helm's --set on a list index replaces the list)
        ObjectNode values = (ObjectNode) HelmChartTest.YAML.readTree(HelmChartTest.CHART.resolve("values.yaml").toFile());
        for (JsonNode t : values.path("topics").path("list")) {
            if (t.path("name").asText().equals(Topics.ANSWERS.name())) {
                ((ObjectNode) t).put("partitions", 3);
            }
        }
        Path changed = tmp.resolve("values.yaml");
        HelmChartTest.YAML.writeValue(changed.toFile(), values);
        List<JsonNode> fewer = render(new Helm(HelmChartTest.CHART).template().withValuesFile(changed)
                .set("topics.hook", false));
        assertThat(DeployedTopic.differences("copy", RenderedChart.topics(fewer), chartTopicsExpected(Topics.ALL)))
                .singleElement().asString().contains("partitions=3");
    }

    // --- helpers

    static List<String> composeGpuServicesOnTheCpu(ComposeFile compose) {
        List<String> out = new ArrayList<>();
        for (String s : compose.gpuServices()) {
            String engine = compose.engine(s);
            if (!EngineArgs.isGpu(engine)) {
                out.add(s + " reserves a GPU but runs engine " + engine + "; expected --engine or "
                        + EngineArgs.ENV + " one of " + EngineArgs.GPU_ENGINES);
            }
        }
        return out;
    }

    private static List<JsonNode> render(com.marcnuri.helm.TemplateCommand template) {
        return HelmChartTest.parse(template.withName(HelmChartTest.RELEASE).withKubeVersion(HelmChartTest.KUBE_VERSION)
                .call());
    }

    private static String replaceOnce(String text, String from, String to) {
        assertThat(text).as("the file still has '%s'", from).contains(from);
        return text.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
    }

    /** `docker-compose config` (Compose v1) or `docker compose config` (v2) of the file, all profiles; else skipped. */
    private static String dockerComposeConfig() throws Exception {
        for (List<String> cmd : List.of(List.of("docker-compose"), List.of("docker", "compose"))) {
            List<String> full = new ArrayList<>(cmd);
            full.addAll(List.of("-f", COMPOSE.toString(), "--profile", "gpu", "config"));
            Process p;
            try {
                p = new ProcessBuilder(full).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            } catch (IOException notInstalled) {
                continue;
            }
            byte[] out = p.getInputStream().readAllBytes();
            if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return new String(out, StandardCharsets.UTF_8);
            }
        }
        String missing = "neither docker-compose nor docker compose is installed (apt-get install docker-compose)";
        if ("1".equals(System.getenv("LLAVA_REQUIRE_DOCKER_COMPOSE"))) {
            throw new AssertionError("LLAVA_REQUIRE_DOCKER_COMPOSE=1 but " + missing + " or its config failed");
        }
        assumeTrue(false, missing);
        throw new AssertionError("unreachable");
    }
}
