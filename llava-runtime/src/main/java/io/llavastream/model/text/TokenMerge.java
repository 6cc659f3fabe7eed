package io.llavastream.model.text;

import java.util.List;

/**
 * LLaVA's merge of image features into the prompt, as transformers does it: the processor expands each
 * {@code <image>} token into {@code tokensPerImage} copies, the copies are embedded like any token, and then the
 * projected features Hv replace their embeddings in order (masked scatter).
 */
public final class TokenMerge {
    private final long imageTokenId;
    private final int tokensPerImage;
    private final int hiddenSize;
    private final int contextLength;

    /**
     * @param tokensPerImage P, features per image
     * @param hiddenSize     D, embedding width
     * @param contextLength  the decoder's maximum sequence length in tokens
     */
    public TokenMerge(long imageTokenId, int tokensPerImage, int hiddenSize, int contextLength) {
        this.imageTokenId = imageTokenId;
        this.tokensPerImage = tokensPerImage;
        this.hiddenSize = hiddenSize;
        this.contextLength = contextLength;
    }

    /**
     * Expands every {@code <image>} of a tokenized prompt into P placeholder ids, after checking that the prompt
     * has exactly one {@code <image>} per image and leaves room to generate.
     */
    public long[] expand(long[] ids, int images) {
        int found = 0;
        for (long id : ids) {
            if (id == imageTokenId) {
                found++;
            }
        }
        if (found == 0) {
            throw new PromptException(PromptException.Reason.NO_IMAGE_TOKEN,
                    "prompt has no <image> token; expected one per image (" + images + ")");
        }
        if (found != images) {
            throw new PromptException(PromptException.Reason.IMAGE_COUNT_MISMATCH,
                    "prompt has " + found + " <image> tokens but " + images + " image(s) were given");
        }
        int length = ids.length + found * (tokensPerImage - 1);
        if (length >= contextLength) {
            throw new PromptException(PromptException.Reason.TOO_LONG, "prompt is " + length
                    + " tokens after expanding <image>, the context is " + contextLength + " tokens");
        }
        long[] out = new long[length];
        int o = 0;
        for (long id : ids) {
            int copies = id == imageTokenId ? tokensPerImage : 1;
            for (int c = 0; c < copies; c++) {
                out[o++] = id;
            }
        }
        return out;
    }

    /**
     * Replaces the embeddings at image positions with the images' projected features, in order.
     *
     * @param expandedIds  [T] ids after {@link #expand}
     * @param textEmbeds   [T, D] embeddings of {@code expandedIds}; overwritten and returned
     * @param imageHv      per image, Hv [P, D]
     */
    public float[] scatter(long[] expandedIds, float[] textEmbeds, List<float[]> imageHv) {
        int d = hiddenSize;
        int image = 0;
        int within = 0;
        for (int t = 0; t < expandedIds.length; t++) {
            if (expandedIds[t] != imageTokenId) {
                continue;
            }
            float[] hv = imageHv.get(image);
            if (hv.length != tokensPerImage * d) {
                throw new IllegalArgumentException("image " + image + " has " + hv.length + " features, expected "
                        + tokensPerImage + "x" + d);
            }
            System.arraycopy(hv, within * d, textEmbeds, t * d, d);
            if (++within == tokensPerImage) {
                within = 0;
                image++;
            }
        }
        return textEmbeds;
    }

    /**
     * Where the image features go: the index of every {@code <image>} placeholder in {@code expandedIds}, in order.
     * Row i of the images' stacked Hv replaces the embedding at position i of the result, as {@link #scatter} does.
     */
    public int[] imagePositions(long[] expandedIds) {
        int n = 0;
        for (long id : expandedIds) {
            if (id == imageTokenId) {
                n++;
            }
        }
        int[] out = new int[n];
        int o = 0;
        for (int t = 0; t < expandedIds.length; t++) {
            if (expandedIds[t] == imageTokenId) {
                out[o++] = t;
            }
        }
        return out;
    }

    public int tokensPerImage() {
        return tokensPerImage;
    }
}
