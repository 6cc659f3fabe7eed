package io.llavastream.model;

import io.llavastream.model.decode.Generation;
import io.llavastream.model.decode.Generator;
import io.llavastream.model.decode.LlamaDecoder;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.model.image.ClipImageProcessor;
import io.llavastream.model.image.ImageDecoder;
import io.llavastream.model.text.ClipTextEncoder;
import io.llavastream.model.text.PromptTokenizer;
import io.llavastream.model.text.TokenEmbedder;
import io.llavastream.model.text.TokenMerge;
import io.llavastream.model.vision.Projector;
import io.llavastream.model.vision.VisionFeatures;
import io.llavastream.model.vision.VisionTower;
import java.nio.file.Path;

/**
 * All LLaVA stages chained in one process: pixel values, vision tower (Zv), projector (Hv), merge into the prompt
 * at {@code <image>}, then the decoder. Loads every graph once; {@link #visionParts()}, {@link #mergeParts()} and
 * {@link #decodeParts()} are views of the same sessions for the stage machines. A stage worker loads only its own
 * parts ({@link VisionParts}, {@link MergeParts}, {@link DecodeParts}).
 */
public final class LlavaModel implements AutoCloseable {
    private final ModelDirectory dir;
    private final PromptTokenizer tokenizer;
    private final VisionTower vision;
    private final Projector projector;
    private final TokenEmbedder embedder;
    private final TokenMerge merge;
    private final LlamaDecoder decoder;
    private final Generator generator;
    private final ClipTextEncoder textEncoder;
    private final VisionParts visionParts;
    private final MergeParts mergeParts;
    private final DecodeParts decodeParts;

    private LlavaModel(ModelDirectory dir, EngineOptions options, java.util.Map<String, Path> adapters) {
        this.dir = dir;
        ImageDecoder imageDecoder = new ImageDecoder(options.maxImagePixels());
        ClipImageProcessor imageProcessor = ClipImageProcessor.fromConfig(dir.file("preprocessor_config.json"));
        this.tokenizer = new PromptTokenizer(dir);
        this.vision = new VisionTower(dir, options);
        this.projector = new Projector(dir, options);
        this.embedder = new TokenEmbedder(dir, options);
        this.merge = MergeParts.tokenMerge(dir);
        this.decoder = new LlamaDecoder(dir, options, true,
                io.llavastream.model.adapter.AdapterSet.load(dir, adapters));
        this.generator = new Generator(decoder, embedder);
        this.textEncoder = new ClipTextEncoder(dir, tokenizer, options);
        this.visionParts = new VisionParts(dir, imageDecoder, imageProcessor, vision, false);
        this.mergeParts = new MergeParts(dir, projector, tokenizer, merge, false);
        this.decodeParts = new DecodeParts(dir, decoder, embedder, tokenizer, false);
    }

    public static LlavaModel load(Path root, EngineOptions options) {
        return load(root, options, java.util.Map.of());
    }

    /** As above, with LoRA adapters (name to adapter directory) that {@link #answer} may select by name. */
    public static LlavaModel load(Path root, EngineOptions options, java.util.Map<String, Path> adapters) {
        return new LlavaModel(ModelDirectory.open(root), options, adapters);
    }

    /**
     * Decodes an image file's bytes (PNG, JPEG, GIF, BMP, WebP) and preprocesses it as CLIPImageProcessor does:
     * pixel values [3,H,W].
     *
     * @throws io.llavastream.model.image.InvalidImageException for bytes that are not a decodable image or that
     *                                                          declare more pixels than the configured limit
     */
    public float[] pixelValues(byte[] encodedImage) {
        return visionParts.pixelValues(encodedImage);
    }

    /** Runs the vision tower and the projector over {@code images} images of pixel values [N,3,H,W]. */
    public EncodedImages encode(float[] pixelValues, int images) {
        long t0 = System.nanoTime();
        VisionFeatures zv = vision.encode(pixelValues, images);
        long t1 = System.nanoTime();
        float[] hv = projector.project(zv.patchFeatures(), images, zv.patches());
        return new EncodedImages(zv, hv, t1 - t0, System.nanoTime() - t1);
    }

    /**
     * Answers {@code prompt} about {@code images} images whose pixel values ([N,3,H,W]) are given.
     * The prompt must hold one {@code <image>} per image.
     */
    public Answer answer(float[] pixelValues, int images, String prompt, SamplingParams params) {
        long[] ids = tokenizeAndCheck(prompt, images);  // fail fast, before the vision work
        return answer(encode(pixelValues, images), ids, params, 0);
    }

    /** Answers {@code prompt} about images already encoded; the prompt must hold one {@code <image>} per image. */
    public Answer answer(EncodedImages images, String prompt, SamplingParams params) {
        return answer(images, tokenizeAndCheck(prompt, images.count()), params, 0);
    }

    /**
     * As above, decoding with the loaded LoRA adapter called {@code adapter} (null or "" = the base model).
     *
     * @throws io.llavastream.model.adapter.AdapterException for a name that is not loaded
     */
    public Answer answer(EncodedImages images, String prompt, SamplingParams params, String adapter) {
        int index = decoder.adapters().index(adapter);
        return answer(images, tokenizeAndCheck(prompt, images.count()), params, index);
    }

    /** Merges the images into the expanded prompt ids and generates. */
    private Answer answer(EncodedImages images, long[] ids, SamplingParams params, int adapter) {
        long t0 = System.nanoTime();
        float[] embeds = merge.scatter(ids, embedder.embed(ids), images.perImage());
        long merged = System.nanoTime() - t0;
        Generation g = generator.generate(embeds, ids.length, params, adapter);
        StageTimings timings = new StageTimings(0, images.visionNanos(), images.projectorNanos(), merged,
                g.prefillNanos(), g.decodeNanos(), g.tokenIds().length);
        return new Answer(tokenizer.decode(g.tokenIds()), g.tokenIds(), g.finishReason(), modelId(), g.topTwoGaps(),
                timings);
    }

    private long[] tokenizeAndCheck(String prompt, int images) {
        return merge.expand(tokenizer.encode(prompt), images);
    }

    public String modelId() {
        return dir.config().modelId();
    }

    /** The id of the vision tower alone (the vision-feature cache's key), see {@link LlavaConfig#visionModelId()}. */
    public String visionModelId() {
        return dir.config().visionModelId();
    }

    public ModelDirectory directory() {
        return dir;
    }

    /** The vision stage's parts, a view of this model's sessions: closing it releases nothing. */
    public VisionParts visionParts() {
        return visionParts;
    }

    /** The merge stage's parts, a view of this model's sessions: closing it releases nothing. */
    public MergeParts mergeParts() {
        return mergeParts;
    }

    /** The decode stage's parts, a view of this model's sessions: closing it releases nothing. */
    public DecodeParts decodeParts() {
        return decodeParts;
    }

    public PromptTokenizer tokenizer() {
        return tokenizer;
    }

    public VisionTower vision() {
        return vision;
    }

    public Projector projector() {
        return projector;
    }

    public TokenEmbedder embedder() {
        return embedder;
    }

    public TokenMerge merge() {
        return merge;
    }

    public LlamaDecoder decoder() {
        return decoder;
    }

    public Generator generator() {
        return generator;
    }

    public ClipTextEncoder textEncoder() {
        return textEncoder;
    }

    @Override
    public void close() {
        textEncoder.close();
        decoder.close();
        embedder.close();
        projector.close();
        vision.close();
        tokenizer.close();
    }
}
