package io.llavastream.model;

import io.llavastream.model.vision.VisionFeatures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Images after the vision tower and the projector, ready to be merged into any number of prompts.
 *
 * @param zv             the vision tower's output (patch features and CLIP embeddings)
 * @param hv             projected features, [N, P, D] row-major
 * @param visionNanos    time in the vision tower
 * @param projectorNanos time in the projector
 */
public record EncodedImages(VisionFeatures zv, float[] hv, long visionNanos, long projectorNanos) {

    public int count() {
        return zv.batch();
    }

    /** Hv per image, [P, D] each. */
    public List<float[]> perImage() {
        int n = hv.length / count();
        List<float[]> out = new ArrayList<>(count());
        for (int i = 0; i < count(); i++) {
            out.add(Arrays.copyOfRange(hv, i * n, (i + 1) * n));
        }
        return out;
    }
}
