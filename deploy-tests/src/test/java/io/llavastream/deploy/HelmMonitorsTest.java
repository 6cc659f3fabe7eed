package io.llavastream.deploy;

import static io.llavastream.deploy.HelmChartTest.CHART;
import static io.llavastream.deploy.HelmChartTest.KUBE_VERSION;
import static io.llavastream.deploy.HelmChartTest.PREFIX;
import static io.llavastream.deploy.HelmChartTest.RELEASE;
import static io.llavastream.deploy.HelmChartTest.YAML;
import static io.llavastream.deploy.HelmChartTest.args;
import static io.llavastream.deploy.HelmChartTest.byKindAndName;
import static io.llavastream.deploy.HelmChartTest.container;
import static io.llavastream.deploy.HelmChartTest.parse;
import static io.llavastream.deploy.HelmChartTest.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's metrics wiring: every role's pod runs its process with {@code --metrics-port} on a container port
 * named {@code metrics}; the Prometheus Operator ServiceMonitor or PodMonitor (off by default) selects every role and
 * scrapes that port; the Grafana dashboard ships as a ConfigMap for Grafana's sidecar. Schema validation of these
 * objects is in {@link HelmChartTest#renderedObjectsValidateAgainstTheKubernetesSchemas}.
 */
class HelmMonitorsTest {
    static final List<String> ROLES = List.of("topology", "vision", "merge", "decode");
    static final int PORT = 9464;

    static String renderWithServiceMonitorAndDashboard() {
        return new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION)
                .set("metrics.serviceMonitor.enabled", true).set("metrics.serviceMonitor.interval", "15s")
                .set("metrics.serviceMonitor.labels.release", "kube-prometheus-stack")
                .set("metrics.dashboard.enabled", true).set("metrics.dashboard.annotations.grafana_folder", "llava")
                .call();
    }

    static String renderWithPodMonitor() {
        return new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION)
                .set("metrics.podMonitor.enabled", true).set("metrics.podMonitor.scrapeTimeout", "10s").call();
    }

    @Test
    void everyRolesPodServesMetricsOnANamedPortAndItsServiceNamesIt() {
        List<JsonNode> objects = parse(new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION).call());
        for (String role : ROLES) {
            JsonNode c = container(workload(objects, role));
            assertThat(args(c)).as(role).containsSequence("--metrics-port", Integer.toString(PORT))
                    .containsSequence("--metrics-host", "0.0.0.0");
            assertThat(c.path("ports").toString()).as(role)
                    .isEqualTo("[{\"name\":\"metrics\",\"containerPort\":" + PORT + ",\"protocol\":\"TCP\"}]");
            JsonNode service = byKindAndName(objects, "Service", PREFIX + role);
            assertThat(service.path("spec").path("ports").toString()).as(role).isEqualTo(
                    "[{\"name\":\"metrics\",\"port\":" + PORT + ",\"targetPort\":\"metrics\",\"protocol\":\"TCP\"}]");
        }
        assertThat(kinds(objects)).as("monitors and dashboard are off by default")
                .doesNotContain("ServiceMonitor", "PodMonitor", "ConfigMap");
    }

    @Test
    void metricsOffLeavesNoEndpointAndNoPort() {
        List<JsonNode> objects = parse(new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION)
                .set("metrics.enabled", false).call());
        for (String role : ROLES) {
            JsonNode c = container(workload(objects, role));
            assertThat(args(c)).as(role).doesNotContain("--metrics-port", "--metrics-host");
            assertThat(c.has("ports")).as(role).isFalse();
            assertThat(byKindAndName(objects, "Service", PREFIX + role).path("spec").has("ports")).as(role).isFalse();
        }
    }

    @Test
    void theServiceMonitorSelectsEveryRolesServiceAndScrapesThePodsMetricsPort() {
        List<JsonNode> objects = parse(renderWithServiceMonitorAndDashboard());
        JsonNode sm = only(objects, "ServiceMonitor");
        assertThat(sm.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(sm.path("metadata").path("labels").path("release").asText()).isEqualTo("kube-prometheus-stack");
        JsonNode spec = sm.path("spec");
        assertThat(spec.path("endpoints")).hasSize(1);
        JsonNode endpoint = spec.path("endpoints").get(0);
        assertThat(endpoint.path("interval").asText()).isEqualTo("15s");
        assertThat(endpoint.path("path").asText()).isEqualTo("/metrics");
        List<JsonNode> selected = objects.stream().filter(o -> o.path("kind").asText().equals("Service"))
                .filter(o -> matches(spec.path("selector").path("matchLabels"), o.path("metadata").path("labels")))
                .toList();
        assertThat(selected.stream().map(s -> s.path("metadata").path("name").asText()))
                .containsExactlyInAnyOrderElementsOf(ROLES.stream().map(r -> PREFIX + r).toList());
        for (JsonNode service : selected) {
            String name = service.path("metadata").path("name").asText();
            JsonNode port = namedPort(service.path("spec").path("ports"), endpoint.path("port").asText());
            assertThat(port).as("%s has the endpoint's port", name).isNotNull();
            JsonNode set = workload(objects, name.substring(PREFIX.length()));
            assertThat(matches(service.path("spec").path("selector"),
                    set.path("spec").path("template").path("metadata").path("labels"))).as(name).isTrue();
            assertThat(namedPort(container(set).path("ports"), port.path("targetPort").asText()))
                    .as("%s's pods have the Service's target port", name).isNotNull();
        }
    }

    @Test
    void thePodMonitorSelectsEveryRolesPodsAndTheirMetricsPort() {
        List<JsonNode> objects = parse(renderWithPodMonitor());
        JsonNode pm = only(objects, "PodMonitor");
        JsonNode spec = pm.path("spec");
        assertThat(spec.path("podMetricsEndpoints")).hasSize(1);
        JsonNode endpoint = spec.path("podMetricsEndpoints").get(0);
        assertThat(endpoint.path("interval").asText()).isEqualTo("30s");
        assertThat(endpoint.path("scrapeTimeout").asText()).isEqualTo("10s");
        List<JsonNode> sets = objects.stream().filter(o -> o.path("kind").asText().equals("StatefulSet"))
                .filter(o -> matches(spec.path("selector").path("matchLabels"),
                        o.path("spec").path("template").path("metadata").path("labels"))).toList();
        assertThat(sets.stream().map(s -> s.path("metadata").path("name").asText()))
                .containsExactlyInAnyOrderElementsOf(ROLES.stream().map(r -> PREFIX + r).toList());
        for (JsonNode set : sets) {
            assertThat(namedPort(container(set).path("ports"), endpoint.path("port").asText()))
                    .as(set.path("metadata").path("name").asText()).isNotNull();
        }
        assertThat(kinds(objects)).doesNotContain("ServiceMonitor");
    }

    @Test
    void bothMonitorsAtOnceOrAMonitorWithoutMetricsIsRefusedWithTheReason() {
        assertThatThrownBy(() -> new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION)
                .set("metrics.serviceMonitor.enabled", true).set("metrics.podMonitor.enabled", true).call())
                .hasMessageContaining("would both scrape every pod: enable one");
        assertThatThrownBy(() -> new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION)
                .set("metrics.podMonitor.enabled", true).set("metrics.enabled", false).call())
                .hasMessageContaining("need metrics.enabled=true");
    }

    @Test
    void theDashboardConfigMapCarriesTheDashboardFileForTheGrafanaSidecar() throws IOException {
        List<JsonNode> objects = parse(renderWithServiceMonitorAndDashboard());
        JsonNode cm = byKindAndName(objects, "ConfigMap", PREFIX + "dashboard");
        assertThat(cm.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
        assertThat(cm.path("metadata").path("annotations").path("grafana_folder").asText()).isEqualTo("llava");
        JsonNode shipped = HelmChartTest.JSON.readTree(cm.path("data").path("llava-stream.json").asText());
        assertThat(shipped).isEqualTo(HelmChartTest.JSON.readTree(GrafanaDashboardTest.DASHBOARD.toFile()));
    }

    @Test
    void lintsStrictWithMonitorsAndDashboardEnabled(@TempDir Path tmp) throws IOException {
        Path copy = tmp.resolve("llava-stream");
        HelmChartTest.copyTree(CHART, copy);
        ObjectNode values = (ObjectNode) YAML.readTree(CHART.resolve("values.yaml").toFile());
        ObjectNode metrics = (ObjectNode) values.path("metrics");
        ((ObjectNode) metrics.path("serviceMonitor")).put("enabled", true);
        ((ObjectNode) metrics.path("dashboard")).put("enabled", true);
        YAML.writeValue(copy.resolve("values.yaml").toFile(), values);
        LintResult lint = new Helm(copy).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict (monitors on): %s", lint.getMessages()).isFalse();
        assertThat(Files.readString(copy.resolve("values.yaml"))).contains("enabled: true");
    }

    /** The CRD schema is in force: a ServiceMonitor whose interval is not a Prometheus duration is refused. */
    @Test
    void aServiceMonitorWithAnIntervalThatIsNotADurationFailsTheSchema() throws Exception {
        HelmChartTest.assumeKubernetesValidatorInstalled();
        List<JsonNode> objects = parse(new Helm(CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION)
                .set("metrics.serviceMonitor.enabled", true).set("metrics.serviceMonitor.interval", "often").call());
        HelmChartTest.Validation v = HelmChartTest.runValidator(List.of(only(objects, "ServiceMonitor")));
        assertThat(v.exit()).as(v.output()).isEqualTo(1);
        assertThat(v.output()).contains("ServiceMonitor " + PREFIX.substring(0, PREFIX.length() - 1),
                "/spec/endpoints/0/interval");
    }

    private static List<String> kinds(List<JsonNode> objects) {
        return objects.stream().map(o -> o.path("kind").asText()).toList();
    }

    private static JsonNode only(List<JsonNode> objects, String kind) {
        List<JsonNode> found = objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    /** Whether every label of {@code selector} is on {@code labels} with the same value. */
    static boolean matches(JsonNode selector, JsonNode labels) {
        assertThat(selector.size()).as("selector %s", selector).isPositive();
        for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) selector::fields) {
            if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode namedPort(JsonNode ports, String name) {
        for (JsonNode p : ports) {
            if (p.path("name").asText().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
