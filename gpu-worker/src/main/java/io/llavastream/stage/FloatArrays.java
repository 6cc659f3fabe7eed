package io.llavastream.stage;

import java.util.Arrays;
import java.util.List;

/** Stacking per-image arrays into one batch array ([N, ...] row-major) and slicing it back. */
final class FloatArrays {
    private FloatArrays() {
    }

    static float[] concat(List<float[]> parts) {
        float[] out = new float[parts.stream().mapToInt(p -> p.length).sum()];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /** Item {@code i} of a batch of {@code n} equal-sized items. */
    static float[] slice(float[] batch, int n, int i) {
        int size = batch.length / n;
        return Arrays.copyOfRange(batch, i * size, (i + 1) * size);
    }
}
