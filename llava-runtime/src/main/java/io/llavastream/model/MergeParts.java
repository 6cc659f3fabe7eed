package io.llavastream.model;

import io.llavastream.model.text.PromptTokenizer;
import io.llavastream.model.text.TokenMerge;
import io.llavastream.model.vision.Projector;
import java.nio.file.Path;
import java.util.List;

/**
 * What the merge stage needs and nothing more: the projector (Zv [P,Dv] to Hv [P,D]), the language model's
 * tokenizer and the token merge (which expands {@code <image>} and says where Hv goes). Loads {@code projector.onnx};
 * the token embeddings are the decode stage's (it scatters Hv into them).
 */
public final class MergeParts implements AutoCloseable {
    /** The graphs these parts load, under {@code onnx/}. */
    public static final List<String> GRAPHS = List.of("projector.onnx");

    private final ModelDirectory dir;
    private final Projector projector;
    private final PromptTokenizer tokenizer;
    private final TokenMerge merge;
    private final boolean owner;

    MergeParts(ModelDirectory dir, Projector projector, PromptTokenizer tokenizer, TokenMerge merge, boolean owner) {
        this.dir = dir;
        this.projector = projector;
        this.tokenizer = tokenizer;
        this.merge = merge;
        this.owner = owner;
    }

    /** Loads the merge parts of the model at {@code root}; the caller closes them. */
    public static MergeParts load(Path root, EngineOptions options) {
        return load(ModelDirectory.open(root, GRAPHS), options);
    }

    public static MergeParts load(ModelDirectory dir, EngineOptions options) {
        Projector projector = new Projector(dir, options);
        PromptTokenizer tokenizer = null;
        try {
            tokenizer = new PromptTokenizer(dir);
            return new MergeParts(dir, projector, tokenizer, tokenMerge(dir), true);
        } catch (RuntimeException e) {
            projector.close();
            if (tokenizer != null) {
                tokenizer.close();
            }
            throw e;
        }
    }

    /** The token merge of the model in {@code dir}: its image token, P, D and context length. */
    static TokenMerge tokenMerge(ModelDirectory dir) {
        LlavaConfig c = dir.config();
        return new TokenMerge(c.imageTokenIndex(), c.tokensPerImage(), c.text().hiddenSize(),
                c.text().maxPositionEmbeddings());
    }

    public Projector projector() {
        return projector;
    }

    public PromptTokenizer tokenizer() {
        return tokenizer;
    }

    public TokenMerge merge() {
        return merge;
    }

    public ModelDirectory directory() {
        return dir;
    }

    public LlavaConfig config() {
        return dir.config();
    }

    /** The LLaVA model's id (decode requests and error answers carry it). */
    public String modelId() {
        return dir.config().modelId();
    }

    /** The id of the vision tower this projector belongs to. */
    public String visionModelId() {
        return dir.config().visionModelId();
    }

    /** Releases the sessions and the tokenizer, unless these parts are a view of a {@link LlavaModel}. */
    @Override
    public void close() {
        if (owner) {
            tokenizer.close();
            projector.close();
        }
    }
}
