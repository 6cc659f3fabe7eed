package io.llavastream.search;

import io.llavastream.model.text.ClipTextEncoder;
import java.util.List;

/**
 * Text-to-image search: reads a description, embeds it with CLIP's text tower ({@link ClipTextEncoder}, the same
 * space as the vision model's image embeddings) and reads the top k of an {@link ImageIndex}; writes nothing.
 */
public final class SearchService {
    /** The most hits one search returns. */
    public static final int MAX_K = 1000;

    private final ClipTextEncoder encoder;
    private final ImageIndex index;
    private final String modelId;

    /** @param modelId the vision model whose embeddings match this text tower; null searches every model's */
    public SearchService(ClipTextEncoder encoder, ImageIndex index, String modelId) {
        this.encoder = encoder;
        this.index = index;
        this.modelId = modelId;
    }

    /** One search's hits and where its time went. */
    public record Result(String query, List<SearchHit> hits, long encodeNanos, long searchNanos) {
    }

    /** The {@code k} images that best fit {@code text}, best first. */
    public Result search(String text, int k) {
        return search(text, k, null);
    }

    /** The {@code k} images that carry zero-shot label {@code label} (null: any) and best fit {@code text}. */
    public Result search(String text, int k, String label) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the query is empty: '" + text + "'");
        }
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("k must be in 1.." + MAX_K + ", not " + k);
        }
        long t0 = System.nanoTime();
        float[] q = encoder.embed(text);
        long t1 = System.nanoTime();
        List<SearchHit> hits = index.search(q, k, modelId, label);
        return new Result(text, hits, t1 - t0, System.nanoTime() - t1);
    }
}
