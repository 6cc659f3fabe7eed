package io.llavastream.cli;

import io.llavastream.model.ModelDirectory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code console}: the web console for a pipeline of separate processes (docs/console.md). Reads the posts,
 * answer-tokens, answers, captioned-posts and (for search) image-embeddings topics, writes uploaded images to the
 * posts topic; serves until Ctrl-C.
 */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = {"Serve the web console for a running pipeline: live captioned posts with their images, token "
                + "previews as they stream, per-stage lag, throughput and latency read from Kafka, text-to-image "
                + "search and image upload. Loopback only unless --console-host says otherwise, and then behind a "
                + "token. Ctrl-C stops."})
final class ConsoleCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Mixin
    RegistryOptions registry;
    @Mixin
    ConsoleOptions options;
    @Mixin
    MetricsOptions metrics;
    @Option(names = "--model", description = "Model directory whose CLIP text tower serves the search box "
            + "(default: the bundled demo model).")
    Path model;
    @Option(names = "--no-search", description = "No search box (no model is loaded).")
    boolean noSearch;
    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime threads of the text tower "
            + "(default ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> settings;
        try {
            settings = options.settings(false);
            metrics.check();
        } catch (IllegalArgumentException e) {
            System.err.println("console: " + e.getMessage());
            return 2;
        }
        Path dir = noSearch ? null : model != null ? model : ModelDirectory.bundled();
        CountDownLatch stopped = new CountDownLatch(1);
        try (ConsoleLauncher launcher = ConsoleLauncher.start(settings, new HashMap<>(kafka.load().common()),
                registry.connect(), dir, io.llavastream.model.EngineOptions.threads(threads));
             AutoCloseable endpoint = serveMetrics(launcher)) {
            options.announce("console", launcher.console());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                launcher.close();
                stopped.countDown();
            }, "console-shutdown"));
            stopped.await();
        } catch (IllegalArgumentException | IllegalStateException | org.apache.kafka.common.KafkaException
                 | java.io.IOException e) {
            System.err.println("console: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    /** The --metrics-port endpoint with the console's meters, or a no-op. */
    private AutoCloseable serveMetrics(ConsoleLauncher launcher) throws java.io.IOException {
        java.util.Optional<io.llavastream.metrics.MetricsServer> server = metrics.start("console");
        server.ifPresent(m -> launcher.console().bindTo(m.registry()));
        return server.isPresent() ? server.get() : () -> { };
    }
}
