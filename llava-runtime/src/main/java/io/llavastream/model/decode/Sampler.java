package io.llavastream.model.decode;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token from logits [V]: argmax when greedy, else temperature + top-p from a seeded stream. */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    public int next(float[] logits) {
        return params.isGreedy() ? argmax(logits) : sample(logits);
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The gap between the largest and second-largest logit: how close a greedy step was to a tie. */
    public static float topTwoGap(float[] logits) {
        float first = Float.NEGATIVE_INFINITY;
        float second = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            if (l > first) {
                second = first;
                first = l;
            } else if (l > second) {
                second = l;
            }
        }
        return first - second;
    }

    private int sample(float[] logits) {
        int v = logits.length;
        double max = logits[argmax(logits)];
        double[] p = new double[v];
        double sum = 0;
        for (int i = 0; i < v; i++) {
            p[i] = Math.exp((logits[i] - max) / params.temperature());
            sum += p[i];
        }
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        // 1. the nucleus: the most likely tokens until their mass reaches top-p
        int keep = 0;
        double mass = 0;
        while (keep < v && mass < params.topP()) {
            mass += p[order[keep++]];
        }
        // 2. draw within the nucleus, renormalised
        double r = random.nextDouble() * mass;
        for (int k = 0; k < keep; k++) {
            r -= p[order[k]];
            if (r <= 0) {
                return order[k];
            }
        }
        return order[keep - 1];
    }
}
