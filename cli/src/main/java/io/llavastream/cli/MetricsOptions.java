package io.llavastream.cli;

import io.llavastream.metrics.MetricsServer;
import java.io.IOException;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code --metrics-port} and {@code --metrics-host} of the long-running commands ({@code @Mixin MetricsOptions
 * metrics;}): a Prometheus {@code /metrics} endpoint ({@link MetricsServer}), off unless a port is given.
 * docs/metrics.md lists the meters.
 */
final class MetricsOptions {
    @Option(names = "--metrics-port", paramLabel = "PORT", description = "Serve Prometheus metrics on "
            + "http://HOST:PORT/metrics; 0 takes a free port (printed at start). Default: no metrics endpoint.")
    Integer port;
    @Option(names = "--metrics-host", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "Address the "
            + "metrics endpoint binds (default ${DEFAULT-VALUE}, loopback; 0.0.0.0 for a Prometheus elsewhere).")
    String host;

    /** Refuses a port out of range, naming it, before anything else starts. */
    void check() {
        if (port != null && (port < 0 || port > 65535)) {
            throw new IllegalArgumentException("--metrics-port must be 0..65535 (0 takes a free port), got " + port);
        }
    }

    /**
     * Starts the endpoint when {@code --metrics-port} is given and prints its URL to stderr.
     *
     * @param process the {@code process} tag on every meter (worker, topology, broker, search, demo)
     * @param tags    more tags for every meter: name, value, ...
     */
    Optional<MetricsServer> start(String process, String... tags) throws IOException {
        check();
        if (port == null) {
            return Optional.empty();
        }
        String[] all = new String[tags.length + 2];
        all[0] = "process";
        all[1] = process;
        System.arraycopy(tags, 0, all, 2, tags.length);
        MetricsServer server = MetricsServer.start(host, port, all);
        System.err.println(process + ": metrics at " + server.url());
        return Optional.of(server);
    }
}
