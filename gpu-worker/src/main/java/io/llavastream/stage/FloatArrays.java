package io.llavastream.stage;

import java.util.List;

/** Stacking per-image arrays into one batch array ([N, ...] row-major). */
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
}
