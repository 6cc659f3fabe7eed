package io.llavastream.cli;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.pipeline.DemoLabels;
import io.llavastream.pipeline.EmbeddedPipeline;
import io.llavastream.topology.PipelineConfig;
import io.llavastream.worker.WorkerConfig;
import java.util.Map;
import io.llavastream.pipeline.PipelineClient;
import io.llavastream.pipeline.PngPosts;
import io.llavastream.rules.PostChecks;
import io.llavastream.scenes.Scene;
import io.llavastream.stage.InProcessDriver;
import io.llavastream.stage.VisionCache;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.worker.Workers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench pipeline}: posts/s through the Kafka pipeline against the same model in-process, and what Kafka costs
 * in CPU: the process CPU time ({@link com.sun.management.OperatingSystemMXBean#getProcessCpuTime}) over the
 * pipeline's timed window, less the process CPU time of the in-process run over the same posts, per post. Broker,
 * topology, workers and the bench's own client all run in this one process, so that difference is the CPU that the
 * Kafka path (broker handlers, Streams, clients, Avro, transactions) adds to the model's compute.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Posts/s and latency through the pipeline on an embedded broker, and posts/s of the same "
                + "model and batching in-process without Kafka; their ratio is what Kafka costs, in time and in "
                + "CPU per post (pipeline process CPU less in-process CPU, over the same posts).")
final class BenchPipelineCommand implements Callable<Integer> {
    @Option(names = "--posts", defaultValue = "200", description = "One-image posts (default ${DEFAULT-VALUE}).")
    int posts;
    @Option(names = "--max-batch", defaultValue = "8", description = "Batch size (default ${DEFAULT-VALUE}).")
    int maxBatch;
    @Option(names = "--model", description = "Model directory (default: the bundled demo model).")
    Path model;
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;
    @Option(names = "--labels", description = "Instead: the cost of zero-shot labels, in one run: the pipeline with "
            + "labels off (no text tower, no routing) and with the demo label set and routing on, alternately, "
            + "--rounds times each (off-on, on-off, ...); posts/s, CPU and broker bytes per post of each, and the "
            + "throughput cost.")
    boolean labels;
    @Option(names = "--rounds", defaultValue = "4", description = "With --labels: runs of each mode (default "
            + "${DEFAULT-VALUE}); the median of each is compared.")
    int rounds;

    /** One timed pass of the posts through a fresh embedded pipeline. */
    private record Run(double secs, long cpuNanos, BrokerCounters broker, long[] latency) {
    }

    private Run pipeline(Path dir, List<byte[]> images, List<byte[]> warm, boolean withLabels) throws Exception {
        long[] latency = new long[posts];
        Map<String, String> topology = withLabels ? Map.of() : Map.of(PipelineConfig.LABEL_TOPICS_CONFIG, "");
        Map<String, Object> workers = Map.of(WorkerConfig.VISION_LABELS_ENABLED, withLabels);
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(dir, Workers.STAGES, maxBatch, topology, workers,
                withLabels ? DemoLabels.definitions(java.time.Instant.now()) : List.of(), null, System.err::println);
             PipelineClient client = pipeline.client()) {
            warmUp(client, warm);
            BrokerCounters b0 = BrokerCounters.now();
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < posts; i++) {
                client.send(PngPosts.of("bench-" + i, "bench", images.get(i)));
            }
            client.flush();
            int[] n = {0};
            client.read(io.llavastream.topics.Topics.CAPTIONED_POSTS, Duration.ofSeconds(600), r -> {
                if (r.key().startsWith("bench-")) {
                    latency[n[0]++] = client.ageNanos(r.key());
                }
            }, () -> n[0] >= posts);
            if (n[0] < posts) {
                throw new IllegalStateException("only " + n[0] + " of " + posts + " posts were captioned in 600 s");
            }
            return new Run((System.nanoTime() - t0) / 1e9, cpuNanos() - c0, BrokerCounters.now().minus(b0), latency);
        }
    }

    /** Labels off and on, alternately, {@code rounds} times each; medians compared. */
    private int compareLabels(Path dir, List<byte[]> images, List<byte[]> warm) throws Exception {
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
        }
        List<Run> off = new java.util.ArrayList<>();
        List<Run> on = new java.util.ArrayList<>();
        for (int r = 0; r < rounds; r++) {  // off-on, then on-off: a warming JVM favours neither
            if (r % 2 == 0) {
                off.add(pipeline(dir, images, warm, false));
                on.add(pipeline(dir, images, warm, true));
            } else {
                on.add(pipeline(dir, images, warm, true));
                off.add(pipeline(dir, images, warm, false));
            }
        }
        double offRate = posts / median(off.stream().mapToDouble(Run::secs).toArray());
        double onRate = posts / median(on.stream().mapToDouble(Run::secs).toArray());
        double offCpu = median(off.stream().mapToDouble(x -> x.cpuNanos() / 1e6 / posts).toArray());
        double onCpu = median(on.stream().mapToDouble(x -> x.cpuNanos() / 1e6 / posts).toArray());
        double offBytes = median(off.stream().mapToDouble(x -> (double) x.broker().bytesIn() / posts).toArray());
        double onBytes = median(on.stream().mapToDouble(x -> (double) x.broker().bytesIn() / posts).toArray());
        double offRequests = median(off.stream().mapToDouble(x -> (double) x.broker().totalRequests() / posts)
                .toArray());
        double onRequests = median(on.stream().mapToDouble(x -> (double) x.broker().totalRequests() / posts)
                .toArray());
        double offRecords = median(off.stream().mapToDouble(x -> (double) x.broker().messagesIn() / posts).toArray());
        double onRecords = median(on.stream().mapToDouble(x -> (double) x.broker().messagesIn() / posts).toArray());
        double cost = 1 - onRate / offRate;
        if (json) {
            JsonLines.print(JsonLines.object().put("posts", posts).put("rounds", rounds)
                    .put("labels_off_posts_per_second", offRate).put("labels_on_posts_per_second", onRate)
                    .put("throughput_cost", cost).put("labels_off_cpu_ms_per_post", offCpu)
                    .put("labels_on_cpu_ms_per_post", onCpu).put("labels_off_broker_bytes_in_per_post", offBytes)
                    .put("labels_on_broker_bytes_in_per_post", onBytes)
                    .put("labels_off_broker_requests_per_post", offRequests)
                    .put("labels_on_broker_requests_per_post", onRequests)
                    .put("labels_off_broker_records_in_per_post", offRecords)
                    .put("labels_on_broker_records_in_per_post", onRecords));
        } else {
            System.out.printf("labels off %.1f posts/s, on %.1f posts/s: cost %.1f%% (target <= 5%%); medians of %d "
                    + "runs each, %d posts%n", offRate, onRate, 100 * cost, rounds, posts);
            System.out.printf("process CPU per post: off %.1f ms, on %.1f ms; broker bytes in per post: off %.0f, "
                    + "on %.0f (routed copies of the captioned post included)%n", offCpu, onCpu, offBytes, onBytes);
            System.out.printf("broker per post: requests off %.1f, on %.1f; records in off %.1f, on %.1f%n",
                    offRequests, onRequests, offRecords, onRecords);
            for (int r = 0; r < rounds; r++) {
                System.out.printf("  round %d: off %.1f posts/s, on %.1f posts/s%n", r + 1, posts / off.get(r).secs(),
                        posts / on.get(r).secs());
            }
        }
        return 0;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    @Override
    public Integer call() throws Exception {
        Path dir = model != null ? model : ModelDirectory.bundled();
        List<Scene> scenes = new SceneGenerator(9090).scenes(0, posts);
        List<byte[]> images = scenes.stream().map(SceneRenderer::png).toList();
        List<byte[]> warm = new SceneGenerator(4242).scenes(0, 32).stream().map(SceneRenderer::png).toList();
        if (labels) {
            return compareLabels(dir, images, warm);
        }
        double baseline;
        long baselineCpu;
        try (LlavaModel m = LlavaModel.load(dir, EngineOptions.threads(1))) {
            inProcess(m, warm, maxBatch);
            long c0 = cpuNanos();
            baseline = inProcess(m, images, maxBatch);
            baselineCpu = cpuNanos() - c0;
        }
        Run run = pipeline(dir, images, warm, false);
        double secs = run.secs();
        long pipelineCpu = run.cpuNanos();
        BrokerCounters broker = run.broker();
        long[] latency = run.latency();
        Arrays.sort(latency);
        double pipelineRate = posts / secs;
        double baselineRate = posts / baseline;
        double p50 = latency[posts / 2] / 1e6;
        double p99 = latency[(int) Math.ceil(posts * 0.99) - 1] / 1e6;
        double pipelineCpuMs = pipelineCpu / 1e6 / posts;
        double inProcessCpuMs = baselineCpu / 1e6 / posts;
        double kafkaCpuMs = pipelineCpuMs - inProcessCpuMs;
        if (json) {
            JsonLines.print(JsonLines.object().put("posts", posts).put("pipeline_posts_per_second", pipelineRate)
                    .put("in_process_posts_per_second", baselineRate).put("ratio", pipelineRate / baselineRate)
                    .put("latency_p50_ms", p50).put("latency_p99_ms", p99)
                    .put("pipeline_cpu_ms_per_post", pipelineCpuMs).put("in_process_cpu_ms_per_post", inProcessCpuMs)
                    .put("kafka_cpu_ms_per_post", kafkaCpuMs)
                    .put("broker_requests_per_post", (double) broker.totalRequests() / posts)
                    .put("broker_records_in_per_post", (double) broker.messagesIn() / posts)
                    .put("broker_bytes_in_per_post", (double) broker.bytesIn() / posts));
        } else {
            System.out.printf("pipeline %.1f posts/s, in-process %.1f posts/s: ratio %.2f (target >= 0.9); pipeline "
                    + "latency p50 %.0f ms, p99 %.0f ms (%d posts, all submitted at once)%n", pipelineRate,
                    baselineRate, pipelineRate / baselineRate, p50, p99, posts);
            System.out.printf("Kafka CPU %.1f ms/post: process CPU %.1f ms/post in the pipeline, %.1f ms/post "
                    + "in-process%n", kafkaCpuMs, pipelineCpuMs, inProcessCpuMs);
            System.out.printf("broker, per post: %.1f requests, %.1f records in, %.0f bytes in; requests by type: %s%n",
                    (double) broker.totalRequests() / posts, (double) broker.messagesIn() / posts,
                    (double) broker.bytesIn() / posts, broker.requests());
        }
        return 0;
    }

    /** CPU time of this whole process so far (every thread: model, broker, Streams, clients, GC, JIT), ns. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Seconds for the same posts through the same stage machines on the in-process driver, with no Kafka. */
    private static double inProcess(LlavaModel model, List<byte[]> images, int maxBatch) {
        long t0 = System.nanoTime();
        try (InProcessDriver driver = new InProcessDriver(model, PostChecks.defaults(), maxBatch, new VisionCache(),
                output -> { })) {
            for (int i = 0; i < images.size(); i++) {
                driver.submit(PngPosts.of("bench-" + i, "bench", images.get(i)));
            }
            driver.drain();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * A few posts first, so that JIT, ONNX Runtime and the consumer groups are warm before timing; their images are
     * not among the timed posts', so that none of those is a vision-cache hit (the in-process run has none either).
     */
    private static void warmUp(PipelineClient client, List<byte[]> images) {
        for (int i = 0; i < 16; i++) {
            client.send(PngPosts.of("warm-" + i, "bench", images.get(i % images.size())));
        }
        client.flush();
        int[] n = {0};
        client.read(io.llavastream.topics.Topics.CAPTIONED_POSTS, Duration.ofSeconds(120), r -> {
            if (r.key().startsWith("warm-")) {
                n[0]++;
            }
        }, () -> n[0] >= 16);
    }
}
