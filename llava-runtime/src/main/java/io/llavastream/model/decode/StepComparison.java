package io.llavastream.model.decode;

import java.util.Arrays;

/**
 * Times one batched decode step ({@link SlotStep} over a {@link KvSlots} cache) on two decoders, alternating step by
 * step, so that a burst of machine load hits both alike: e.g. {@code decoder_step.onnx} against the merged decoder
 * over the same cache. Every row holds {@code cached} tokens; the cache has the capacity the batcher would give it.
 * On a decoder with LoRA adapters, row r decodes with adapter r mod (adapters + 1): the base model and every adapter
 * mixed in one step.
 */
public final class StepComparison {
    /** Median and lower-quartile step times in milliseconds, of the first and the second decoder. */
    public record Result(int rows, int cached, double firstP50Ms, double firstP25Ms, double secondP50Ms,
                         double secondP25Ms) {
        /** How many times longer the second decoder's step takes (medians). */
        public double secondOverFirst() {
            return secondP50Ms / firstP50Ms;
        }
    }

    private StepComparison() {
    }

    /** Runs {@code warmup} + {@code iterations} steps of {@code rows} rows on each decoder, alternately. */
    public static Result run(LlamaDecoder first, LlamaDecoder second, int rows, int cached, int warmup,
                             int iterations) {
        int context = first.config().maxPositionEmbeddings();
        if (rows < 1 || cached < 1 || cached >= context || iterations < 1 || warmup < 0) {
            throw new IllegalArgumentException("rows " + rows + ", cached " + cached + ", iterations " + iterations
                    + ", warmup " + warmup + ": expected rows >= 1, 1 <= cached < " + context
                    + ", iterations >= 1, warmup >= 0");
        }
        LlamaDecoder[] decoders = {first, second};
        long[][] nanos = new long[2][iterations];
        int[] lengths = new int[rows];
        Arrays.fill(lengths, cached);
        float[] embeds = new float[rows * first.config().hiddenSize()];
        Arrays.fill(embeds, 0.01f);
        int[][] adapters = new int[2][rows];
        for (int k = 0; k < 2; k++) {
            int n = decoders[k].adapters().size() + 1;
            for (int r = 0; r < rows; r++) {
                adapters[k][r] = r % n;
            }
        }
        KvSlots[] caches = new KvSlots[2];
        SlotStep[] steps = new SlotStep[2];
        try {
            for (int k = 0; k < 2; k++) {
                caches[k] = new KvSlots(2 * first.config().numLayers(), rows, first.config().numKeyValueHeads(),
                        first.config().headDim(), context);
                caches[k].ensure(cached + 1, 0);
                steps[k] = new SlotStep(decoders[k], rows);
            }
            for (int i = -warmup; i < iterations; i++) {
                for (int k = 0; k < 2; k++) {
                    long t0 = System.nanoTime();
                    steps[k].run(caches[k], embeds, lengths, adapters[k], rows);
                    if (i >= 0) {
                        nanos[k][i] = System.nanoTime() - t0;
                    }
                }
            }
        } finally {
            for (int k = 0; k < 2; k++) {
                if (steps[k] != null) {
                    steps[k].close();
                }
                if (caches[k] != null) {
                    caches[k].close();
                }
            }
        }
        Arrays.sort(nanos[0]);
        Arrays.sort(nanos[1]);
        return new Result(rows, cached, nanos[0][iterations / 2] / 1e6, nanos[0][iterations / 4] / 1e6,
                nanos[1][iterations / 2] / 1e6, nanos[1][iterations / 4] / 1e6);
    }
}
