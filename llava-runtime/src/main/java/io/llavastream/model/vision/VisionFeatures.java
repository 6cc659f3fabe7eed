package io.llavastream.model.vision;

/**
 * The vision tower's output for a batch of images.
 *
 * @param patchFeatures Zv, [B, P, Dv] row-major: the selected layer's patch features (CLS per the select strategy)
 * @param imageEmbeds   [B, E] pooled, projected CLIP image embeddings (not normalised)
 */
public record VisionFeatures(int batch, int patches, int featureDim, float[] patchFeatures, int embedDim,
                             float[] imageEmbeds) {

    /** Zv of image {@code i}: [P, Dv]. */
    public float[] patchFeatures(int i) {
        int n = patches * featureDim;
        return java.util.Arrays.copyOfRange(patchFeatures, i * n, (i + 1) * n);
    }

    /** The L2-normalised CLIP embedding of image {@code i}: [E], ready for dot-product retrieval. */
    public float[] normalizedEmbedding(int i) {
        return L2.normalize(java.util.Arrays.copyOfRange(imageEmbeds, i * embedDim, (i + 1) * embedDim));
    }
}
