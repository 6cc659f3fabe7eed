package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Scraping a command's {@code /metrics} in a test, and reading samples out of the text. Touches no topic. */
final class Scrapes {
    static final Path ROOT = Path.of(System.getProperty("llava.repo.root", "..")).toAbsolutePath().normalize();
    /** The metric names the chart's Grafana dashboard reads (deploy-tests' GrafanaDashboardTest keeps it exact). */
    static final Path DASHBOARD_METRICS = ROOT.resolve("helm/llava-stream/dashboards/metric-names.txt");

    private Scrapes() {
    }

    /**
     * Scrapes {@code http://127.0.0.1:port/metrics} until {@code done} holds, the command exits or {@code timeout}
     * passes; returns the last scrape ("" if none answered).
     */
    static String until(int port, Future<Integer> exit, Duration timeout, Predicate<String> done) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).GET().build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String text = "";
        while (System.nanoTime() < deadline && !exit.isDone()) {
            try {
                HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                text = r.body();
                if (done.test(text)) {
                    return text;
                }
            } catch (java.net.ConnectException notYet) {
                // the command is still starting
            }
            Thread.sleep(250);
        }
        return text;
    }

    /** The sum of every {@code name} sample whose labels contain all of {@code labels}; -1 when there is none. */
    static double sum(String text, String name, String... labels) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{([^}]*)\\} (\\S+)$").matcher(text);
        double total = 0;
        boolean found = false;
        while (m.find()) {
            String l = m.group(1);
            if (Arrays.stream(labels).allMatch(l::contains)) {
                total += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        return found ? total : -1;
    }

    /** The sample names in a scrape (a histogram gives {@code _bucket}, {@code _count}, {@code _sum}, ...). */
    static Set<String> names(String text) {
        Set<String> out = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                out.add(line.split("[{ ]", 2)[0]);
            }
        }
        return out;
    }

    /** Asserts that every metric the Grafana dashboard reads is in {@code text}, naming the missing ones. */
    static void assertHasEveryDashboardMetric(String text) throws IOException {
        List<String> wanted = Files.readAllLines(DASHBOARD_METRICS).stream().map(l -> l.replaceAll("#.*", "").strip())
                .filter(l -> !l.isEmpty()).toList();
        assertThat(wanted).hasSizeGreaterThan(20);
        assertThat(names(text)).as("metrics the dashboard reads (%s) missing from a real scrape", DASHBOARD_METRICS)
                .containsAll(wanted);
    }

    /** A free port on the loopback address (closed again: the command binds it). */
    static int freePort() throws IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
