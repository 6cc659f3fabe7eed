package io.llavastream.scale;

/**
 * The sizes of what the simulation puts on the wire, by default LLaVA-1.5-7B's: CLIP ViT-L/14@336 gives 576 patch
 * features of 1024 (Zv, 1.18 MB in fp16) and a 768-wide image embedding; the projector maps Zv to 576 x 4096 (Hv,
 * 4.72 MB in fp16), 4096 being Vicuna-7B's hidden size. Tensors travel as fp16.
 *
 * @param imageBytes   bytes of each post's image as posted (encoded JPEG/PNG); default 200,000, the 200 KB JPEG
 *                     assumed in docs/scaling.md
 * @param patches      image tokens per image (576 = (336/14)^2)
 * @param visionDim    width of each patch feature (1024)
 * @param hiddenDim    the language model's hidden size (4096)
 * @param embedDim     width of the CLIP image embedding (768)
 * @param promptTokens text tokens of the prompt around the image (74, the caption prompt assumed in docs/scaling.md)
 */
public record TensorSizes(int imageBytes, int patches, int visionDim, int hiddenDim, int embedDim, int promptTokens) {
    /** LLaVA-1.5-7B. */
    public static final TensorSizes LLAVA_15_7B = new TensorSizes(200_000, 576, 1024, 4096, 768, 74);

    public TensorSizes {
        if (imageBytes < 1 || patches < 1 || visionDim < 1 || hiddenDim < 1 || embedDim < 1 || promptTokens < 1) {
            throw new IllegalArgumentException("every size must be >= 1, got " + imageBytes + " image bytes, "
                    + patches + " patches, " + visionDim + " vision dim, " + hiddenDim + " hidden dim, " + embedDim
                    + " embed dim, " + promptTokens + " prompt tokens");
        }
    }

    /** Zv in fp16. */
    public long zvBytes() {
        return 2L * patches * visionDim;
    }

    /** Hv in fp16. */
    public long hvBytes() {
        return 2L * patches * hiddenDim;
    }
}
