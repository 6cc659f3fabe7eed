package io.llavastream.eval;

import io.llavastream.model.vision.L2;
import java.util.List;

/** Text-to-image recall@1 within one pool of scenes, from L2-normalised CLIP embeddings. */
final class Retrieval {
    private Retrieval() {
    }

    /** Hits as {lenient, strict}: see {@link EvalResult#retrievalR1()}. */
    static int[] hitsAt1(List<float[]> imageEmbeds, List<float[]> queryEmbeds, List<String> captions) {
        int lenient = 0;
        int strict = 0;
        for (int q = 0; q < queryEmbeds.size(); q++) {
            int best = 0;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < imageEmbeds.size(); i++) {
                float s = L2.dot(queryEmbeds.get(q), imageEmbeds.get(i));
                if (s > bestScore) {
                    bestScore = s;
                    best = i;
                }
            }
            strict += best == q ? 1 : 0;
            lenient += captions.get(best).equals(captions.get(q)) ? 1 : 0;
        }
        return new int[] {lenient, strict};
    }
}
