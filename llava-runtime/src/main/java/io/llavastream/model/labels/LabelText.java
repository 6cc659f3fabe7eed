package io.llavastream.model.labels;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.text.ClipTextEncoder;
import io.llavastream.model.text.PromptTokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * What scoring labels needs from a model directory: the CLIP text tower ({@code onnx/text_encoder.onnx}), its
 * tokenizer and the logit scale ({@code clip_text_config.logit_scale}). The vision worker loads it beside its
 * vision parts, only when labels are enabled.
 */
public final class LabelText implements AutoCloseable {
    public static final List<String> GRAPHS = List.of("text_encoder.onnx");

    private final PromptTokenizer tokenizer;
    private final ClipTextEncoder encoder;
    private final double logitScale;

    private LabelText(ModelDirectory dir, EngineOptions options) {
        this.tokenizer = new PromptTokenizer(dir);
        try {
            this.encoder = new ClipTextEncoder(dir, tokenizer, options);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        this.logitScale = dir.config().clipText().logitScale();
    }

    /** Loads the text tower of the model at {@code root}; the caller closes it. */
    public static LabelText load(Path root, EngineOptions options) {
        return new LabelText(ModelDirectory.open(root, GRAPHS), options);
    }

    /** The scorer of one label set: every prompt through the text tower once (prompt ensembling per label). */
    public LabelScorer scorer(List<LabelPrompts> labels) {
        return labels.isEmpty() ? LabelScorer.empty() : LabelScorer.build(labels, encoder, logitScale);
    }

    public double logitScale() {
        return logitScale;
    }

    @Override
    public void close() {
        encoder.close();
        tokenizer.close();
    }
}
