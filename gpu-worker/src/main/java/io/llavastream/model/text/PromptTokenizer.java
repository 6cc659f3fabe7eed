package io.llavastream.model.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.ModelException;
import java.io.IOException;
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
    private final long eosTokenId;

    public PromptTokenizer(ModelDirectory dir) {
        try {
            this.tokenizer = HuggingFaceTokenizer.newInstance(dir.file("tokenizer.json"),
                    Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false"));
        } catch (IOException | RuntimeException e) {
            throw new ModelException("cannot load " + dir.file("tokenizer.json") + ": " + e.getMessage(), e);
        }
        this.eosTokenId = dir.config().text().eosTokenId();
    }

    /** Token ids of {@code text}, with the template's special tokens (BOS); each {@code <image>} is one id. */
    public long[] encode(String text) {
        Encoding e = tokenizer.encode(text);
        return e.getIds();
    }

    /** Ids for the CLIP text tower: the text, then EOS, where the tower pools. */
    public long[] encodeForClip(String text) {
        long[] ids = encode(text);
        long[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eosTokenId;
        return out;
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
