package io.llavastream.pipeline;

import io.llavastream.model.EncodedImages;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.decode.ContinuousBatcher;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.scenes.PromptTemplate;
import java.util.List;

/**
 * The same model and the same batching as the pipeline, in one thread without Kafka: images in groups of
 * {@code batch} through the vision tower and projector, then the merged prompts through the continuous batcher.
 * The pipeline's throughput divided by this one's is what Kafka costs.
 */
public final class InProcessBaseline {
    private InProcessBaseline() {
    }

    /** Captions every image; returns the wall time in seconds. */
    public static double run(LlavaModel model, List<byte[]> images, int batch, int maxNewTokens) {
        long t0 = System.nanoTime();
        int side = model.directory().config().vision().imageSize();
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.decoder(), model.embedder(), batch)) {
            for (int from = 0; from < images.size(); from += batch) {
                int n = Math.min(batch, images.size() - from);
                float[] px = new float[n * 3 * side * side];
                for (int i = 0; i < n; i++) {
                    float[] one = model.pixelValues(images.get(from + i));
                    System.arraycopy(one, 0, px, i * one.length, one.length);
                }
                EncodedImages enc = model.encode(px, n);
                List<float[]> hv = enc.perImage();
                long[] ids = model.merge().expand(model.tokenizer().encode(PromptTemplate.captionPrompt()), 1);
                for (int i = 0; i < n; i++) {
                    float[] embeds = model.merge().scatter(ids, model.embedder().embed(ids), List.of(hv.get(i)));
                    batcher.submit(new ContinuousBatcher.Request(from + i, embeds, ids.length,
                            SamplingParams.greedy(maxNewTokens)));
                }
                batcher.step();
            }
            while (batcher.inFlight() > 0) {
                batcher.step();
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }
}
