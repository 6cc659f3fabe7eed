package io.llavastream.status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites a {@link ProcessStatus} file at a fixed interval from a daemon thread, atomically (a temporary file
 * beside it, then a rename), so that a reader never sees half a file. Closing writes it once more and stops.
 */
public final class StatusFile implements AutoCloseable {
    /** How often {@code --status-file} is rewritten unless told otherwise. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(StatusFile.class);

    private final Path file;
    private final Supplier<ProcessStatus> status;
    private final ScheduledExecutorService timer;

    private StatusFile(Path file, Supplier<ProcessStatus> status, Duration interval) {
        this.file = file.toAbsolutePath();
        this.status = status;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "status-file");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::write, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts rewriting {@code file} every {@code interval}; the first write is immediate. */
    public static StatusFile start(Path file, Duration interval, Supplier<ProcessStatus> status) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        return new StatusFile(file, status, interval);
    }

    /** Writes the status now (also called by the timer). A failed write is logged and the next one tried. */
    public void write() {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, status.get().toJson());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot write the status file {}: {}", file, e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        write();
    }
}
