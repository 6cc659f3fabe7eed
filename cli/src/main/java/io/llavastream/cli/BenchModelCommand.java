package io.llavastream.cli;

import io.llavastream.model.LlavaModel;
import io.llavastream.model.bench.LatencyStats;
import io.llavastream.model.bench.ModelBenchmark;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bench model}: per-stage latency of the in-process model, and the decode step's overhead over bare ORT. */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Latency of preprocess, vision, projector, merge, prefill and one decode step; and the Java "
                + "decode step over a bare ONNX Runtime session.run of the same graph.")
final class BenchModelCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Option(names = "--iterations", defaultValue = "200", description = "Timed runs per stage (default ${DEFAULT-VALUE}).")
    int iterations;
    @Option(names = "--warmup", defaultValue = "50", description = "Untimed runs first (default ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--json", description = "One JSON object per stage, then one with the overhead ratio.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        byte[] png = SceneRenderer.png(new SceneGenerator(1).scene(0));
        int threads = modelOptions.engineOptions().intraOpThreads();
        ModelBenchmark.Report r;
        try (LlavaModel model = modelOptions.load()) {
            System.err.println("benchmarking " + model.modelId() + " (" + warmup + " warm-up + " + iterations
                    + " timed runs per stage)...");
            r = new ModelBenchmark(model, warmup, iterations, threads).run(png, PromptTemplate.captionPrompt());
        }
        for (LatencyStats s : r.stages()) {
            if (json) {
                JsonLines.print(s);
            } else {
                System.out.printf("%-22s p50 %8.3f ms  p90 %8.3f ms  mean %8.3f ms  (n=%d)%n", s.stage(), s.p50Ms(),
                        s.p90Ms(), s.meanMs(), s.samples());
            }
        }
        if (json) {
            JsonLines.print(JsonLines.object().put("prompt_tokens", r.promptTokens())
                    .put("decode_overhead_ratio", r.decodeOverheadRatio()));
        } else {
            System.out.printf("prompt tokens %d; decode step / bare ORT run (p50) = %.3f%n", r.promptTokens(),
                    r.decodeOverheadRatio());
        }
        return 0;
    }
}
