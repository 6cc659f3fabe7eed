package io.llavastream.model.bench;

import ai.onnxruntime.OrtException;
import io.llavastream.model.EncodedImages;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.decode.KvCache;
import io.llavastream.model.decode.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Times each stage of the loaded model on one image and one prompt: preprocess (decode + CLIP preprocessing),
 * vision tower, projector, prefill, and one decode step; then a bare ONNX Runtime run of the same decoder graph at
 * the same past length, whose ratio to the Java step is the runtime's overhead.
 */
public final class ModelBenchmark {
    private final LlavaModel model;
    private final int warmup;
    private final int iterations;
    private final int threads;

    public ModelBenchmark(LlavaModel model, int warmup, int iterations, int threads) {
        this.model = model;
        this.warmup = warmup;
        this.iterations = iterations;
        this.threads = threads;
    }

    /** Results, with the decode overhead ratio (Java step p50 / bare run p50) last. */
    public record Report(List<LatencyStats> stages, int promptTokens, double decodeOverheadRatio) {
    }

    public Report run(byte[] image, String prompt) throws OrtException {
        List<LatencyStats> out = new ArrayList<>();
        out.add(time("preprocess", () -> model.pixelValues(image).length));
        float[] px = model.pixelValues(image);
        out.add(time("vision", () -> model.vision().encode(px, 1).batch()));
        EncodedImages enc = model.encode(px, 1);
        out.add(time("projector", () -> model.projector().project(enc.zv().patchFeatures(), 1,
                enc.zv().patches()).length));
        long[] ids = model.merge().expand(model.tokenizer().encode(prompt), 1);
        float[] embeds = model.merge().scatter(ids, model.embedder().embed(ids), enc.perImage());
        out.add(time("merge", () -> model.merge().scatter(ids, model.embedder().embed(ids), enc.perImage()).length));
        out.add(time("prefill", () -> {
            try (KvCache c = model.decoder().newCache()) {
                return model.decoder().forward(embeds, ids.length, c).length;
            }
        }));
        int steps = Math.min(64, model.decoder().config().maxPositionEmbeddings() - ids.length - 1);
        LatencyStats[] decode = decodeVersusBare(embeds, ids.length, steps);
        LatencyStats step = decode[0];
        LatencyStats bare = decode[1];
        out.add(step);
        out.add(bare);
        return new Report(out, ids.length, step.p50Ms() / bare.p50Ms());
    }

    /**
     * One Java decode step (pick the token, embed it, run the decoder, keep the cache) over {@code steps} steps
     * after the prompt, against a bare run of the same graph at the middle of that range. The two alternate in
     * rounds, so that a change in machine load hits both alike.
     */
    private LatencyStats[] decodeVersusBare(float[] embeds, int promptTokens, int steps) throws OrtException {
        int rounds = Math.max(1, iterations / steps);
        long[] java = new long[rounds * steps];
        long[] bare = new long[rounds * steps];
        try (BareDecoderRun b = new BareDecoderRun(model.directory().graph("decoder_model_merged.onnx"),
                model.decoder().config(), promptTokens + steps / 2, threads)) {
            for (int r = -2; r < rounds; r++) {  // two warm-up rounds
                long[] j = decodeSteps(embeds, promptTokens, steps);
                for (int i = 0; i < steps; i++) {
                    long t = b.run();
                    if (r >= 0) {
                        bare[r * steps + i] = t;
                        java[r * steps + i] = j[i];
                    }
                }
            }
        }
        return new LatencyStats[] {LatencyStats.of("decode_step", java), LatencyStats.of("bare_ort_decode_step",
                bare)};
    }

    private long[] decodeSteps(float[] embeds, int promptTokens, int steps) {
        long[] samples = new long[steps];
        try (KvCache cache = model.decoder().newCache()) {
            float[] logits = model.decoder().forward(embeds, promptTokens, cache);
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                long next = Sampler.argmax(logits);
                logits = model.decoder().forward(model.embedder().embed(new long[] {next}), 1, cache);
                samples[i] = System.nanoTime() - t0;
            }
        }
        return samples;
    }

    private LatencyStats time(String stage, LongSupplier op) {
        return LatencyStats.of(stage, repeat(() -> {
            long t0 = System.nanoTime();
            op.getAsLong();
            return System.nanoTime() - t0;
        }));
    }

    private interface Timed {
        long run() throws OrtException;
    }

    private long[] repeat(Timed op) {
        long[] samples = new long[iterations];
        try {
            for (int i = 0; i < warmup; i++) {
                op.run();
            }
            for (int i = 0; i < iterations; i++) {
                samples[i] = op.run();
            }
        } catch (OrtException e) {
            throw new IllegalStateException("benchmark run failed", e);
        }
        return samples;
    }
}
