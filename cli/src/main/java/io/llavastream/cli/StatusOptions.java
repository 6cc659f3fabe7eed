package io.llavastream.cli;

import io.llavastream.status.ConsumedPositions;
import io.llavastream.status.ProcessStatus;
import io.llavastream.status.StatusFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * {@code --status-file PATH} of the long-running commands ({@code @Mixin StatusOptions status;}): a small JSON
 * status ({@link ProcessStatus}) rewritten every second, for supervisors such as {@code chaos}.
 */
final class StatusOptions {
    @Option(names = "--status-file", paramLabel = "PATH", description = "Rewrite a JSON status here every "
            + "second: role, stage, instance id, pid, counts, consumer positions, heap used and max.")
    Path statusFile;
    @Option(names = "--status-interval-ms", defaultValue = "1000", paramLabel = "MS",
            description = "How often --status-file is rewritten, ms (default ${DEFAULT-VALUE}).")
    long intervalMs;

    boolean enabled() {
        return statusFile != null;
    }

    /** Starts the status file, or returns a no-op when --status-file is not given. */
    AutoCloseable start(Supplier<ProcessStatus> status) throws IOException {
        if (statusFile == null) {
            return () -> { };
        }
        if (intervalMs < 10) {
            throw new IllegalArgumentException("--status-interval-ms must be at least 10, got " + intervalMs);
        }
        StatusFile file = StatusFile.start(statusFile, Duration.ofMillis(intervalMs), status);
        return file::close;
    }

    /**
     * Adds {@link ConsumedPositions} to the interceptor list under {@code key} in {@code clientSettings} (after any the
     * user set), so the status file can report the consumer's positions.
     */
    void addInterceptor(Map<? super String, Object> clientSettings, String key) {
        if (statusFile == null) {
            return;
        }
        Object existing = clientSettings.get(key);
        String mine = ConsumedPositions.class.getName();
        clientSettings.put(key, existing == null || existing.toString().isBlank() ? mine : existing + "," + mine);
    }
}
