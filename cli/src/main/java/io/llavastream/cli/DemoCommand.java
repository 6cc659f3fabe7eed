package io.llavastream.cli;

import io.llavastream.metrics.MetricsServer;
import io.llavastream.model.ModelDirectory;
import io.llavastream.pipeline.EmbeddedPipeline;
import io.llavastream.pipeline.DemoLabels;
import io.llavastream.pipeline.PipelineClient;
import io.llavastream.pipeline.PngPosts;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.worker.Workers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the whole pipeline in this JVM on the embedded broker: posts generated scenes and a few real
 * photographs, prints each caption as its post completes, then accuracy, throughput and latency.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the pipeline on an embedded Kafka broker (topology + vision, merge and decode workers, "
                + "each its own consumer group) with the bundled model, post N generated scenes plus the sample "
                + "photographs, and print each caption as it arrives, then a summary."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--count", defaultValue = "40", description = "Generated scene posts (default ${DEFAULT-VALUE}).")
    int count;
    @Option(names = "--seed", defaultValue = "2027", description = "Scene seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--model", description = "Model directory (default: the bundled demo model).")
    Path model;
    @Option(names = "--max-batch", defaultValue = "8", description = "Worker batch size (default ${DEFAULT-VALUE}).")
    int maxBatch;
    @Option(names = "--timeout-s", defaultValue = "300", description = "Give up after (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;
    @Option(names = "--json", description = "One JSON object per captioned post, then one summary object.")
    boolean json;
    @Mixin
    MetricsOptions metrics;
    @Option(names = "--console-port", paramLabel = "PORT", description = "Port of the web console on 127.0.0.1 "
            + "(default 8070, or a free port when 8070 is taken; 0 takes a free port). Its URL is printed.")
    Integer consolePort;
    @Option(names = "--no-console", description = "No web console.")
    boolean noConsole;
    @Option(names = {"--serve", "--keep-running"}, description = "After the summary keep the pipeline, the "
            + "console and the metrics endpoint running (upload images, search, scrape /metrics) until Ctrl-C.")
    boolean serve;
    /** Counted down once the pipeline and the console are closed, so that a Ctrl-C of --serve waits for it. */
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    /** Counted down by Ctrl-C's hook or {@link #stop}, for --serve. */
    private final java.util.concurrent.CountDownLatch stopRequested = new java.util.concurrent.CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        Path dir = model != null ? model : ModelDirectory.bundled();
        Map<String, String> expected = new HashMap<>();
        List<io.llavastream.schemas.Post> posts = new ArrayList<>();
        SceneGenerator gen = new SceneGenerator(seed);
        for (int i = 0; i < count; i++) {
            Scene s = gen.scene(i);
            posts.add(PngPosts.of("scene-" + s.id(), "demo", SceneRenderer.png(s)));
            expected.put("scene-" + s.id(), s.caption());
        }
        for (Path photo : photos()) {
            posts.add(Posts.ofImages("photo-" + photo.getFileName(), "demo", List.of(photo), null));
        }
        if (consolePort != null && (consolePort < 0 || consolePort > 65535)) {
            System.err.println("demo: --console-port must be 0..65535 (0 takes a free port), got " + consolePort);
            return 2;
        }
        long[] latencies = new long[posts.size()];
        int[] correct = {0};
        List<CaptionedPost> done;
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(dir, Workers.STAGES, maxBatch, Map.of(), Map.of(),
                DemoLabels.definitions(java.time.Instant.now()), null, System.err::println);
             PipelineClient client = pipeline.client();
             AutoCloseable endpoint = serveMetrics(pipeline, dir);
             AutoCloseable console = serveConsole(pipeline, dir);
             Progress progress = new Progress("captioned posts", posts.size())) {
            long t0 = System.nanoTime();
            posts.forEach(client::send);
            client.flush();
            System.err.println("posted " + posts.size() + " posts (" + count + " scenes, " + (posts.size() - count)
                    + " photographs); captions as they arrive:");
            done = client.captioned(posts.size(), Duration.ofSeconds(timeoutSeconds), p -> {
                latencies[Math.min(latencies.length - 1, correctIndex(p, posts))] = client.ageNanos(p.getPostId());
                correct[0] += show(p, expected.get(p.getPostId())) ? 1 : 0;
                progress.step();
            });
            progress.close();
            summary(done.size(), posts.size(), correct[0], latencies, (System.nanoTime() - t0) / 1e9);
            if (serve) {
                awaitCtrlC();
            }
        } finally {
            closed.countDown();
        }
        return done.size() == posts.size() ? 0 : 1;
    }

    /** The web console on loopback (docs/console.md), or a no-op with --no-console. */
    private AutoCloseable serveConsole(EmbeddedPipeline pipeline, Path dir) throws java.io.IOException {
        if (noConsole) {
            return () -> { };
        }
        ConsoleOptions options = new ConsoleOptions();
        options.host = io.llavastream.console.ConsoleConfig.LOOPBACK;
        options.port = consolePort;
        ConsoleLauncher launcher = ConsoleLauncher.start(options.settings(true), Map.of("bootstrap.servers",
                pipeline.bootstrapServers()), pipeline.registry(), dir, io.llavastream.model.EngineOptions.threads(1));
        options.announce("demo", launcher.console());
        return launcher;
    }

    /** Blocks until Ctrl-C or {@link #stop}; a Ctrl-C's hook then waits (up to 30 s) for {@link #closed}. */
    private void awaitCtrlC() throws InterruptedException {
        System.err.println("demo: the pipeline and the console keep running (--serve); Ctrl-C stops");
        Thread hook = new Thread(() -> {
            stopRequested.countDown();
            try {
                closed.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopRequested.await();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // Ctrl-C is what stopped us: the hook waits for the pipeline to close
        }
    }

    /** Ends --serve as Ctrl-C would (for tests, which cannot send the JVM a signal). */
    void stop() {
        stopRequested.countDown();
    }

    /** The --metrics-port endpoint with every stage's meters and the topology's, or a no-op. */
    private AutoCloseable serveMetrics(EmbeddedPipeline pipeline, Path dir) throws java.io.IOException {
        Optional<MetricsServer> server = metrics.start("demo");
        String modelId = ModelDirectory.open(dir, List.of()).config().modelId();
        server.ifPresent(m -> ProcessMeters.pipeline(m.registry(), pipeline, Workers.STAGES, modelId));
        return server.isPresent() ? server.get() : () -> { };
    }

    private static int correctIndex(CaptionedPost p, List<io.llavastream.schemas.Post> posts) {
        for (int i = 0; i < posts.size(); i++) {
            if (posts.get(i).getId().equals(p.getPostId())) {
                return i;
            }
        }
        return posts.size() - 1;
    }

    private boolean show(CaptionedPost p, String truth) {
        ImageAnswer a = p.getAnswers().get(0);
        boolean ok = truth != null && truth.equals(a.getText());
        if (json) {
            var n = JsonLines.object().put("post_id", p.getPostId()).put("caption", a.getText())
                    .put("failed", a.getFailed()).put("expected", truth).put("correct", truth == null ? null : ok);
            p.getLabels().forEach(n.putArray("labels")::add);
            JsonLines.print(n);
        } else {
            String mark = truth == null ? "" : ok ? "  [correct]" : "  [expected: " + truth + "]";
            String labels = p.getLabels().isEmpty() ? "" : "  #" + String.join(" #", p.getLabels());
            System.out.println(p.getPostId() + ": " + (a.getFailed() ? "FAILED " + a.getError() : a.getText()) + mark
                    + labels);
        }
        return ok;
    }

    private void summary(int done, int total, int correct, long[] latencies, double secs) {
        long[] l = Arrays.stream(latencies).filter(x -> x > 0).sorted().toArray();
        double p50 = l.length == 0 ? 0 : l[l.length / 2] / 1e6;
        double p99 = l.length == 0 ? 0 : l[(int) Math.ceil(l.length * 0.99) - 1] / 1e6;
        double accuracy = correct / (double) Math.max(1, count);
        if (json) {
            JsonLines.print(JsonLines.object().put("posts", total).put("captioned", done)
                    .put("scene_caption_exact_match", accuracy).put("posts_per_second", done / secs)
                    .put("latency_p50_ms", p50).put("latency_p99_ms", p99).put("seconds", secs));
        } else {
            System.out.printf("%d of %d posts captioned in %.1f s (%.1f posts/s); scene captions exact-match %.1f%% "
                    + "(%d/%d); latency p50 %.0f ms, p99 %.0f ms%n", done, total, secs, done / secs, 100 * accuracy,
                    correct, count, p50, p99);
        }
    }

    private static List<Path> photos() throws java.io.IOException {
        Path samples = Path.of(System.getProperty("llava.repo.root", ".")).resolve("samples");
        if (!Files.isDirectory(samples)) {
            return List.of();
        }
        try (var s = Files.list(samples)) {
            return s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
        }
    }
}
