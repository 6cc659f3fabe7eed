package io.llavastream.model;

import io.llavastream.model.decode.ContinuousBatcher;
import io.llavastream.model.decode.LlamaDecoder;
import io.llavastream.model.text.PromptTokenizer;
import io.llavastream.model.text.TokenEmbedder;
import java.nio.file.Path;
import java.util.List;

/**
 * What the decode stage needs and nothing more: the LLaMA decoder with its KV cache, the token embedder (each
 * generated token is embedded for the next step) and the tokenizer (to detokenize answers). Loads
 * {@code decoder_model_merged.onnx} and {@code embed_tokens.onnx}, and {@code decoder_step.onnx} when the directory
 * has it (the batcher's in-place decode step; without it the batcher steps on the merged decoder).
 */
public final class DecodeParts implements AutoCloseable {
    /** The graphs these parts load, under {@code onnx/}. */
    public static final List<String> GRAPHS = List.of("decoder_model_merged.onnx", "embed_tokens.onnx");
    /** Loaded when present: the batched decode step over the in-place cache. */
    public static final List<String> OPTIONAL_GRAPHS = List.of(LlamaDecoder.STEP_GRAPH);

    private final ModelDirectory dir;
    private final LlamaDecoder decoder;
    private final TokenEmbedder embedder;
    private final PromptTokenizer tokenizer;
    private final boolean owner;

    DecodeParts(ModelDirectory dir, LlamaDecoder decoder, TokenEmbedder embedder, PromptTokenizer tokenizer,
                boolean owner) {
        this.dir = dir;
        this.decoder = decoder;
        this.embedder = embedder;
        this.tokenizer = tokenizer;
        this.owner = owner;
    }

    /** Loads the decode parts of the model at {@code root}; the caller closes them. */
    public static DecodeParts load(Path root, EngineOptions options) {
        return load(ModelDirectory.open(root, GRAPHS), options);
    }

    public static DecodeParts load(ModelDirectory dir, EngineOptions options) {
        return load(dir, options, java.util.Map.of());
    }

    /**
     * As above, with LoRA adapters (name to adapter directory, index order): the decoder then runs the
     * adapter-capable graphs, and a bad adapter directory is refused here, naming its file.
     */
    public static DecodeParts load(ModelDirectory dir, EngineOptions options,
                                   java.util.Map<String, java.nio.file.Path> adapters) {
        LlamaDecoder decoder = new LlamaDecoder(dir, options, true,
                io.llavastream.model.adapter.AdapterSet.load(dir, adapters));
        TokenEmbedder embedder = null;
        try {
            embedder = new TokenEmbedder(dir, options);
            return new DecodeParts(dir, decoder, embedder, new PromptTokenizer(dir), true);
        } catch (RuntimeException e) {
            decoder.close();
            if (embedder != null) {
                embedder.close();
            }
            throw e;
        }
    }

    /** A new continuous batcher over these parts, running up to {@code maxBatch} sequences at once. */
    public ContinuousBatcher batcher(int maxBatch) {
        return new ContinuousBatcher(decoder, embedder, maxBatch);
    }

    public LlamaDecoder decoder() {
        return decoder;
    }

    public TokenEmbedder embedder() {
        return embedder;
    }

    public PromptTokenizer tokenizer() {
        return tokenizer;
    }

    public ModelDirectory directory() {
        return dir;
    }

    /** The LLaVA model's id (answers carry it). */
    public String modelId() {
        return dir.config().modelId();
    }

    /** Releases the sessions and the tokenizer, unless these parts are a view of a {@link LlavaModel}. */
    @Override
    public void close() {
        if (owner) {
            tokenizer.close();
            embedder.close();
            decoder.close();
        }
    }
}
