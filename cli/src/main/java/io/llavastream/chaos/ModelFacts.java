package io.llavastream.chaos;

import io.llavastream.model.LlavaConfig;
import io.llavastream.model.ModelDirectory;
import java.nio.file.Path;

/**
 * The model's numbers a hostile record has to get right to be wrong in just one way: tensor shapes, the context,
 * the vision tower's id.
 *
 * @param visionModelId the vision tower id (the topology's vision.model.id)
 * @param modelId       the language model's id
 * @param patches       P, features per image
 * @param featureDim    Dv, width of the patch features
 * @param embedDim      E, width of the CLIP image embedding
 * @param hiddenSize    D, width of the token embeddings
 * @param contextLength the decoder's context in tokens
 */
public record ModelFacts(String visionModelId, String modelId, int patches, int featureDim, int embedDim,
                         int hiddenSize, int contextLength) {
    /** The facts of the model directory {@code dir}, from its config files (no graph is loaded). */
    public static ModelFacts of(Path dir) {
        LlavaConfig c = ModelDirectory.open(dir).config();
        return new ModelFacts(c.visionModelId(), c.modelId(), c.tokensPerImage(), c.vision().hiddenSize(),
                c.vision().projectionDim(), c.text().hiddenSize(), c.text().maxPositionEmbeddings());
    }
}
