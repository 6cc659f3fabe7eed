package io.llavastream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard the chart ships (helm/llava-stream/dashboards/llava-stream.json): it parses, every panel is
 * well-formed, the panels are there, and every metric name in every PromQL expression is one our processes
 * export. That set is dashboards/metric-names.txt, which cli's MetricsEndpointTest and DemoMetricsTest assert
 * against a real scrape of the running pipeline: renaming a meter fails there, a dashboard name missing from the
 * list fails here, and the list holds exactly the dashboard's names.
 */
class GrafanaDashboardTest {
    static final Path DASHBOARD = HelmChartTest.CHART.resolve("dashboards/llava-stream.json");
    static final Path METRIC_NAMES = HelmChartTest.CHART.resolve("dashboards/metric-names.txt");

    /** Each panel the issue asks for, by a metric name its queries must read. */
    static final Map<String, String> REQUIRED = Map.ofEntries(
            Map.entry("requests running", "llava_requests_running"),
            Map.entry("requests waiting", "llava_requests_waiting"),
            Map.entry("batch size", "llava_batch_size_bucket"),
            Map.entry("queue time", "llava_request_queue_time_seconds_bucket"),
            Map.entry("per-stage compute time", "llava_stage_compute_time_seconds_bucket"),
            Map.entry("time to first token", "llava_time_to_first_token_seconds_bucket"),
            Map.entry("time per output token", "llava_time_per_output_token_seconds_bucket"),
            Map.entry("prompt tokens rate", "llava_prompt_tokens_total"),
            Map.entry("generation tokens rate", "llava_generation_tokens_total"),
            Map.entry("vision-cache hits", "llava_vision_cache_hits_total"),
            Map.entry("vision-cache misses", "llava_vision_cache_misses_total"),
            Map.entry("dead letters by reason", "llava_dead_letters_total"),
            Map.entry("consumer lag per stage", "kafka_consumer_fetch_manager_records_lag"),
            Map.entry("Kafka consumer", "kafka_consumer_fetch_manager_records_consumed_rate"),
            Map.entry("Kafka producer", "kafka_producer_record_send_rate"),
            Map.entry("Kafka Streams", "kafka_stream_thread_process_rate"));

    @Test
    void everyPanelIsWellFormedAndQueriesThePrometheusDatasourceVariable() throws IOException {
        JsonNode dash = HelmChartTest.JSON.readTree(DASHBOARD.toFile());
        assertThat(dash.path("uid").asText()).isEqualTo("llava-stream");
        assertThat(dash.path("templating").path("list").get(0).path("type").asText()).isEqualTo("datasource");
        assertThat(dash.path("templating").path("list").get(0).path("query").asText()).isEqualTo("prometheus");
        Set<Integer> ids = new HashSet<>();
        for (JsonNode p : dash.path("panels")) {
            String title = p.path("title").asText();
            assertThat(title).isNotBlank();
            assertThat(ids.add(p.path("id").asInt())).as("unique id of %s", title).isTrue();
            assertThat(p.path("gridPos").path("w").asInt()).as(title).isBetween(1, 24);
            assertThat(p.path("gridPos").path("h").asInt()).as(title).isPositive();
            if (p.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(p.path("datasource").path("uid").asText()).as(title).isEqualTo("${datasource}");
            assertThat(p.path("targets")).as(title).isNotEmpty();
            Set<String> refIds = new HashSet<>();
            for (JsonNode t : p.path("targets")) {
                assertThat(refIds.add(t.path("refId").asText())).as("unique refId in %s", title).isTrue();
                assertThat(t.path("expr").asText()).as(title).isNotBlank();
            }
        }
    }

    @Test
    void theDashboardHasAPanelForEveryStageMeterAndTheKafkaMeters() throws IOException {
        Map<String, Set<String>> byPanel = namesByPanel();
        Set<String> all = new TreeSet<>();
        byPanel.values().forEach(all::addAll);
        REQUIRED.forEach((panel, metric) -> assertThat(all).as("a panel for %s", panel).contains(metric));
        assertThat(exprs()).anyMatch(e -> e.contains("llava_dead_letters_total") && e.contains("reason"))
                .as("dead letters split by reason");
        assertThat(exprs()).anyMatch(e -> e.contains("kafka_consumer_fetch_manager_records_lag{")
                && e.contains("by (topic)")).as("lag summed per stage topic");
    }

    @Test
    void everyMetricNameInEveryQueryIsOneOurProcessesExport() throws IOException {
        Set<String> exported = exportedNames();
        Set<String> used = new TreeSet<>();
        namesByPanel().forEach((panel, names) -> {
            for (String n : names) {
                assertThat(exported).as("%s in panel '%s' is not in %s (what a real scrape shows)", n, panel,
                        METRIC_NAMES).contains(n);
            }
            used.addAll(names);
        });
        assertThat(exported).as("%s lists exactly the dashboard's names", METRIC_NAMES)
                .containsExactlyInAnyOrderElementsOf(used);
    }

    /** The metric names of dashboards/metric-names.txt (one a line; # starts a comment). */
    static Set<String> exportedNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (String line : Files.readAllLines(METRIC_NAMES)) {
            String n = line.replaceAll("#.*", "").strip();
            if (!n.isEmpty()) {
                names.add(n);
            }
        }
        return names;
    }

    private static Map<String, Set<String>> namesByPanel() throws IOException {
        Map<String, Set<String>> out = new java.util.LinkedHashMap<>();
        for (JsonNode p : HelmChartTest.JSON.readTree(DASHBOARD.toFile()).path("panels")) {
            for (JsonNode t : p.path("targets")) {
                out.computeIfAbsent(p.path("title").asText(), k -> new TreeSet<>())
                        .addAll(PromQl.metricNames(t.path("expr").asText()));
            }
        }
        return out;
    }

    private static List<String> exprs() throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode p : HelmChartTest.JSON.readTree(DASHBOARD.toFile()).path("panels")) {
            p.path("targets").forEach(t -> out.add(t.path("expr").asText()));
        }
        return out;
    }
}
