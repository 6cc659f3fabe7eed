package io.llavastream.cli;

import io.llavastream.model.EncodedImages;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.bench.DecodeThroughput;
import io.llavastream.model.decode.LlamaDecoder;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench decode}: decode tokens/s with continuous batching at several concurrencies. Every concurrency runs
 * with the same ONNX Runtime intra-op threads ({@code --threads}; 0 = one per core, at most 4), so the ratios
 * compare batching alone.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Decode tokens/s with continuous batching at each concurrency, and the ratio to the first.")
final class BenchDecodeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Option(names = "--concurrency", split = ",", defaultValue = "1,32",
            description = "Concurrencies to measure (default ${DEFAULT-VALUE}).")
    List<Integer> concurrency;
    @Option(names = "--requests", defaultValue = "128", description = "Requests per run (default ${DEFAULT-VALUE}).")
    int requests;
    @Option(names = "--max-new-tokens", defaultValue = "32", description = "Default ${DEFAULT-VALUE}.")
    int maxNewTokens;
    @Option(names = "--json", description = "One JSON object per concurrency.")
    boolean json;
    @Option(names = "--decode-graph", defaultValue = "step", description = "Graph of the batched decode steps: "
            + "step (onnx/decoder_step.onnx over the in-place cache; the merged decoder when the model lacks it) or "
            + "merged (decoder_model_merged.onnx over the same cache, which copies it every step). Default "
            + "${DEFAULT-VALUE}.")
    String decodeGraph;

    @Override
    public Integer call() {
        if (!"step".equals(decodeGraph) && !"merged".equals(decodeGraph)) {
            throw new IllegalArgumentException("--decode-graph must be step or merged, got " + decodeGraph);
        }
        try (LlavaModel model = modelOptions.load();
             LlamaDecoder decoder = new LlamaDecoder(model.directory(), modelOptions.engineOptions(),
                     "step".equals(decodeGraph))) {
            List<float[]> prompts = new ArrayList<>();
            List<Integer> lengths = new ArrayList<>();
            for (Scene s : new SceneGenerator(4242).scenes(0, 16)) {
                EncodedImages enc = model.encode(model.pixelValues(SceneRenderer.png(s)), 1);
                long[] ids = model.merge().expand(model.tokenizer().encode(PromptTemplate.captionPrompt()), 1);
                prompts.add(model.merge().scatter(ids, model.embedder().embed(ids), enc.perImage()));
                lengths.add(ids.length);
            }
            DecodeThroughput.run(decoder, model.embedder(), prompts, lengths, 4, 16, maxNewTokens);  // warm-up
            String graph = decoder.hasStepGraph() ? "decoder_step.onnx" : "decoder_model_merged.onnx";
            int threads = modelOptions.engineOptions().intraOpThreads();
            if (!json) {
                System.out.printf("decode steps on %s, %d intra-op threads at every concurrency%n", graph, threads);
            }
            double base = 0;
            double baseStep = 0;
            for (int c : concurrency) {
                DecodeThroughput.Result r = DecodeThroughput.run(decoder, model.embedder(), prompts, lengths,
                        c, requests, maxNewTokens);
                base = base == 0 ? r.tokensPerSecond() : base;
                double step = r.stats().stepTokensPerSecond();
                baseStep = baseStep == 0 ? step : baseStep;
                if (json) {
                    JsonLines.print(JsonLines.object().put("concurrency", c).put("requests", r.requests())
                            .put("tokens", r.tokens()).put("seconds", r.seconds())
                            .put("tokens_per_second", r.tokensPerSecond()).put("ratio_to_first", r.tokensPerSecond() / base)
                            .put("step_tokens_per_second", step).put("step_ratio_to_first", step / baseStep)
                            .put("prefill_seconds", r.stats().prefillNanos() / 1e9)
                            .put("cache_copy_seconds", r.stats().cacheCopyNanos() / 1e9)
                            .put("step_seconds", r.stats().stepNanos() / 1e9)
                            .put("prefill_runs", r.stats().prefillRuns()).put("prefilled", r.stats().prefilled())
                            .put("decode_graph", graph).put("intra_op_threads", threads));
                } else {
                    System.out.printf("concurrency %3d: %6d tokens in %5.2fs = %7.1f tok/s (x%.2f); decode steps alone "
                                    + "%7.1f tok/s (x%.2f); prefill %.2fs in %d runs, cache copies %.2fs, "
                                    + "steps %.2fs%n", c,
                            r.tokens(), r.seconds(), r.tokensPerSecond(), r.tokensPerSecond() / base, step,
                            step / baseStep, r.stats().prefillNanos() / 1e9, r.stats().prefillRuns(),
                            r.stats().cacheCopyNanos() / 1e9, r.stats().stepNanos() / 1e9);
                }
            }
        }
        return 0;
    }
}
