package io.llavastream.cli;

import io.llavastream.model.adapter.AdapterSet;
import io.llavastream.model.adapter.AdapterSpecs;

import io.llavastream.model.EncodedImages;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.bench.DecodeThroughput;
import io.llavastream.model.decode.LlamaDecoder;
import io.llavastream.model.decode.StepComparison;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench decode}: decode tokens/s with continuous batching at several concurrencies. Every concurrency runs
 * with the same ONNX Runtime intra-op threads ({@code --threads}; 0 = one per core, at most 4), so the ratios
 * compare batching alone. With {@code --decode-graph both} the step graph and the merged decoder alternate in one
 * process, run after run, and then one decode step alone alternates between them step by step (the comparison that
 * survives a loaded machine); with {@code --rounds N} every figure is the median of N runs.
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
    @Option(names = "--json", description = "One JSON object per graph and concurrency.")
    boolean json;
    @Option(names = "--decode-graph", defaultValue = "step", description = "Graph of the batched decode steps: "
            + "step (onnx/decoder_step.onnx over the in-place cache; the merged decoder when the model lacks it), "
            + "merged (decoder_model_merged.onnx over the same cache, which copies it every step), or both "
            + "(alternating, with the ratio step / merged). Default ${DEFAULT-VALUE}.")
    String decodeGraph;
    @Option(names = "--adapters", split = ",", paramLabel = "NAME", description = "Compare mixed-adapter decoding "
            + "with the base model alone, alternating run by run at each concurrency: 'base' runs the plain step "
            + "graph with no adapters; 'mixed' loads these LoRA adapters (NAME = adapters/NAME of the model, or "
            + "NAME=PATH) on the adapter-capable graphs and cycles the requests over the base model and every "
            + "adapter. Reports mixed / base tokens/s (docs/adapters.md). Replaces --decode-graph.")
    List<String> adapters;
    @Option(names = "--rounds", defaultValue = "1", description = "Runs per graph and concurrency; figures are "
            + "medians (default ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() {
        if (!List.of("step", "merged", "both").contains(decodeGraph)) {
            throw new IllegalArgumentException("--decode-graph must be step, merged or both, got " + decodeGraph);
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
        }
        List<String> graphs = adapters != null ? List.of("base", "mixed")
                : "both".equals(decodeGraph) ? List.of("step", "merged") : List.of(decodeGraph);
        Map<String, LlamaDecoder> decoders = new LinkedHashMap<>();
        try (LlavaModel model = modelOptions.load()) {
            for (String g : graphs) {
                AdapterSet set = "mixed".equals(g) ? AdapterSet.load(model.directory(),
                        AdapterSpecs.parse(adapters, model.directory().root())) : AdapterSet.EMPTY;
                decoders.put(g, new LlamaDecoder(model.directory(), modelOptions.engineOptions(), !"merged".equals(g),
                        set));
            }
            List<float[]> prompts = new ArrayList<>();
            List<Integer> lengths = new ArrayList<>();
            for (Scene s : new SceneGenerator(4242).scenes(0, 16)) {
                EncodedImages enc = model.encode(model.pixelValues(SceneRenderer.png(s)), 1);
                long[] ids = model.merge().expand(model.tokenizer().encode(PromptTemplate.captionPrompt()), 1);
                prompts.add(model.merge().scatter(ids, model.embedder().embed(ids), enc.perImage()));
                lengths.add(ids.length);
            }
            Map<String, List<List<DecodeThroughput.Result>>> results = new LinkedHashMap<>();
            for (String g : graphs) {
                DecodeThroughput.run(decoders.get(g), model.embedder(), prompts, lengths, 4, 16, maxNewTokens,
                        adapterCycle(decoders.get(g)));  // warm-up
                results.put(g, new ArrayList<>());
                for (int i = 0; i < concurrency.size(); i++) {
                    results.get(g).add(new ArrayList<>());
                }
            }
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < concurrency.size(); i++) {
                    for (String g : graphs) {
                        results.get(g).get(i).add(DecodeThroughput.run(decoders.get(g), model.embedder(), prompts,
                                lengths, concurrency.get(i), requests, maxNewTokens, adapterCycle(decoders.get(g))));
                    }
                }
            }
            report(decoders, results);
            if (graphs.contains("merged")) {
                compareSteps(decoders.get("step"), decoders.get("merged"), lengths.get(0));
            } else if (graphs.contains("mixed")) {
                compareAdapterSteps(decoders.get("base"), decoders.get("mixed"), lengths.get(0));
            }
        } finally {
            decoders.values().forEach(LlamaDecoder::close);
        }
        return 0;
    }

    /** Request i's adapter: i mod (adapters + 1), so the base model and every adapter take turns (0 = base). */
    private static java.util.function.IntUnaryOperator adapterCycle(LlamaDecoder decoder) {
        int n = decoder.adapters().size() + 1;
        return i -> i % n;
    }

    private void report(Map<String, LlamaDecoder> decoders, Map<String, List<List<DecodeThroughput.Result>>> results) {
        int threads = modelOptions.engineOptions().intraOpThreads();
        for (String g : results.keySet()) {
            LlamaDecoder d = decoders.get(g);
            boolean lora = !d.adapters().isEmpty();
            String graph = (d.hasStepGraph() ? (lora ? LlamaDecoder.STEP_LORA_GRAPH : LlamaDecoder.STEP_GRAPH)
                    : (lora ? LlamaDecoder.MERGED_LORA_GRAPH : "decoder_model_merged.onnx"))
                    + (lora ? " (requests cycle over the base and " + d.adapters().names() + ")" : "");
            if (!json) {
                System.out.printf("decode steps on %s, %d intra-op threads at every concurrency%s%n", graph, threads,
                        rounds > 1 ? ", medians of " + rounds + " runs" : "");
            }
            List<List<DecodeThroughput.Result>> byC = results.get(g);
            double base = median(byC.get(0), DecodeThroughput.Result::tokensPerSecond);
            double baseStep = median(byC.get(0), r -> r.stats().stepTokensPerSecond());
            for (int i = 0; i < byC.size(); i++) {
                List<DecodeThroughput.Result> rs = byC.get(i);
                DecodeThroughput.Result r = rs.stream().sorted(Comparator.comparingDouble(
                        DecodeThroughput.Result::tokensPerSecond)).toList().get(rs.size() / 2);
                double tps = median(rs, DecodeThroughput.Result::tokensPerSecond);
                double step = median(rs, x -> x.stats().stepTokensPerSecond());
                double prefill = median(rs, x -> x.stats().prefillNanos() / 1e9);
                double copies = median(rs, x -> x.stats().cacheCopyNanos() / 1e9);
                double steps = median(rs, x -> x.stats().stepNanos() / 1e9);
                double seconds = median(rs, DecodeThroughput.Result::seconds);
                if (json) {
                    JsonLines.print(JsonLines.object().put("decode_graph", graph).put("concurrency", r.concurrency())
                            .put("requests", r.requests()).put("tokens", r.tokens()).put("seconds", seconds)
                            .put("tokens_per_second", tps).put("ratio_to_first", tps / base)
                            .put("step_tokens_per_second", step).put("step_ratio_to_first", step / baseStep)
                            .put("prefill_seconds", prefill).put("cache_copy_seconds", copies)
                            .put("step_seconds", steps).put("prefill_runs", r.stats().prefillRuns())
                            .put("prefilled", r.stats().prefilled()).put("intra_op_threads", threads)
                            .put("rounds", rounds));
                } else {
                    System.out.printf("concurrency %3d: %6d tokens in %5.2fs = %7.1f tok/s (x%.2f); decode steps alone "
                                    + "%7.1f tok/s (x%.2f); prefill %.2fs in %d runs, cache copies %.2fs, "
                                    + "steps %.2fs%n", r.concurrency(), r.tokens(), seconds, tps, tps / base, step,
                            step / baseStep, prefill, r.stats().prefillRuns(), copies, steps);
                }
            }
        }
        if (results.containsKey("mixed")) {
            compareAdapters(results.get("mixed"), results.get("base"));
        } else if (results.size() == 2) {
            compare(results.get("step"), results.get("merged"));
        }
    }

    /** Per concurrency, mixed-adapter tokens/s over the base model's alone (medians). */
    private void compareAdapters(List<List<DecodeThroughput.Result>> mixed, List<List<DecodeThroughput.Result>> base) {
        for (int i = 0; i < mixed.size(); i++) {
            double e2e = median(mixed.get(i), DecodeThroughput.Result::tokensPerSecond)
                    / median(base.get(i), DecodeThroughput.Result::tokensPerSecond);
            double steps = median(mixed.get(i), r -> r.stats().stepTokensPerSecond())
                    / median(base.get(i), r -> r.stats().stepTokensPerSecond());
            if (json) {
                JsonLines.print(JsonLines.object().put("concurrency", concurrency.get(i))
                        .put("adapters", String.join(",", adapters))
                        .put("mixed_over_base_tokens_per_second", e2e)
                        .put("mixed_over_base_step_tokens_per_second", steps));
            } else {
                System.out.printf("concurrency %3d: mixed adapters / base alone = x%.2f end to end, x%.2f decode "
                        + "steps alone%n", concurrency.get(i), e2e, steps);
            }
        }
    }

    /** Per concurrency, the step graph's tokens/s over the merged decoder's (medians). */
    private void compare(List<List<DecodeThroughput.Result>> step, List<List<DecodeThroughput.Result>> merged) {
        for (int i = 0; i < step.size(); i++) {
            double e2e = median(step.get(i), DecodeThroughput.Result::tokensPerSecond)
                    / median(merged.get(i), DecodeThroughput.Result::tokensPerSecond);
            double steps = median(step.get(i), r -> r.stats().stepTokensPerSecond())
                    / median(merged.get(i), r -> r.stats().stepTokensPerSecond());
            if (json) {
                JsonLines.print(JsonLines.object().put("concurrency", concurrency.get(i))
                        .put("step_graph_over_merged_tokens_per_second", e2e)
                        .put("step_graph_over_merged_step_tokens_per_second", steps));
            } else {
                System.out.printf("concurrency %3d: step graph / merged decoder = x%.2f end to end, x%.2f decode steps "
                        + "alone%n", concurrency.get(i), e2e, steps);
            }
        }
    }

    /**
     * The decode step alone at each concurrency's batch size, both graphs alternating step by step (the most
     * load-proof comparison on a shared machine); rows hold a prompt plus 12 answer tokens.
     */
    private void compareSteps(LlamaDecoder step, LlamaDecoder merged, int promptTokens) {
        for (int c : concurrency) {
            StepComparison.Result r = StepComparison.run(step, merged, c, promptTokens + 12, 20, 100 * rounds);
            if (json) {
                JsonLines.print(JsonLines.object().put("step_rows", c).put("step_cached_tokens", r.cached())
                        .put("step_graph_p50_ms", r.firstP50Ms()).put("merged_p50_ms", r.secondP50Ms())
                        .put("step_graph_p25_ms", r.firstP25Ms()).put("merged_p25_ms", r.secondP25Ms())
                        .put("merged_over_step_graph", r.secondOverFirst()));
            } else {
                System.out.printf("one decode step of %3d rows (%d cached tokens each), alternating: step graph p50 "
                                + "%.3f ms (p25 %.3f), merged p50 %.3f ms (p25 %.3f); merged / step graph x%.2f%n", c,
                        r.cached(), r.firstP50Ms(), r.firstP25Ms(), r.secondP50Ms(), r.secondP25Ms(),
                        r.secondOverFirst());
            }
        }
    }

    /**
     * One decode step alone at each concurrency's batch size, the base model's plain step graph and a mixed step on
     * the LoRA step graph (row r with adapter r mod (adapters + 1)) alternating step by step.
     */
    private void compareAdapterSteps(LlamaDecoder base, LlamaDecoder mixed, int promptTokens) {
        for (int c : concurrency) {
            StepComparison.Result r = StepComparison.run(base, mixed, c, promptTokens + 12, 20, 100 * rounds);
            if (json) {
                JsonLines.print(JsonLines.object().put("step_rows", c).put("step_cached_tokens", r.cached())
                        .put("base_p50_ms", r.firstP50Ms()).put("mixed_p50_ms", r.secondP50Ms())
                        .put("base_p25_ms", r.firstP25Ms()).put("mixed_p25_ms", r.secondP25Ms())
                        .put("mixed_over_base_step_throughput", 1 / r.secondOverFirst()));
            } else {
                System.out.printf("one decode step of %3d rows (%d cached tokens each), alternating: base p50 %.3f ms "
                                + "(p25 %.3f), mixed adapters p50 %.3f ms (p25 %.3f); mixed / base step throughput "
                                + "x%.2f%n", c, r.cached(), r.firstP50Ms(), r.firstP25Ms(), r.secondP50Ms(),
                        r.secondP25Ms(), 1 / r.secondOverFirst());
            }
        }
    }

    private static double median(List<DecodeThroughput.Result> rs, ToDoubleFunction<DecodeThroughput.Result> f) {
        double[] v = rs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
