package io.llavastream.model.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.ModelException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model's {@code tokenizer.json} through DJL's binding of Hugging Face tokenizers. DJL is forced offline: on a
 * host with CUDA it would otherwise try to download a CUDA build of its native library.
 */
public final class PromptTokenizer implements AutoCloseable {
    static {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final HuggingFaceTokenizer tokenizer;

    /** The language model's tokenizer, {@code tokenizer.json}. */
    public PromptTokenizer(ModelDirectory dir) {
        this(dir.file("tokenizer.json"));
    }

    public PromptTokenizer(Path tokenizerJson) {
        try {
            this.tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson,
                    Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false"));
        } catch (IOException | RuntimeException e) {
            throw new ModelException("cannot load " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /** Token ids of {@code text}, with the template's special tokens (BOS); each {@code <image>} is one id. */
    public long[] encode(String text) {
        Encoding e = tokenizer.encode(text);
        return e.getIds();
    }

    /** Text of generated ids, special tokens skipped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
