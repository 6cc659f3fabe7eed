package io.llavastream.cli;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.pipeline.EmbeddedPipeline;
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

    @Override
    public Integer call() throws Exception {
        Path dir = model != null ? model : ModelDirectory.bundled();
        List<Scene> scenes = new SceneGenerator(9090).scenes(0, posts);
        List<byte[]> images = scenes.stream().map(SceneRenderer::png).toList();
        List<byte[]> warm = new SceneGenerator(4242).scenes(0, 32).stream().map(SceneRenderer::png).toList();
        double baseline;
        long baselineCpu;
        try (LlavaModel m = LlavaModel.load(dir, EngineOptions.threads(1))) {
            inProcess(m, warm, maxBatch);
            long c0 = cpuNanos();
            baseline = inProcess(m, images, maxBatch);
            baselineCpu = cpuNanos() - c0;
        }
        double secs;
        long pipelineCpu;
        BrokerCounters broker;
        long[] latency = new long[posts];
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(dir, Workers.STAGES, maxBatch, System.err::println);
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
            secs = (System.nanoTime() - t0) / 1e9;
            pipelineCpu = cpuNanos() - c0;
            broker = BrokerCounters.now().minus(b0);
        }
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
