package io.llavastream.model;

import io.llavastream.model.image.ClipImageProcessor;
import io.llavastream.model.image.ImageDecoder;
import io.llavastream.model.vision.VisionTower;
import java.nio.file.Path;
import java.util.List;

/**
 * What the vision stage needs and nothing more: the image decoder, the CLIP image processor and the vision tower
 * ({@code onnx/vision_tower.onnx}, the only graph it loads). A vision pod on a GPU holds no decoder.
 */
public final class VisionParts implements AutoCloseable {
    /** The graphs these parts load, under {@code onnx/}. */
    public static final List<String> GRAPHS = List.of("vision_tower.onnx");

    private final ModelDirectory dir;
    private final ImageDecoder imageDecoder;
    private final ClipImageProcessor imageProcessor;
    private final VisionTower tower;
    private final boolean owner;

    VisionParts(ModelDirectory dir, ImageDecoder imageDecoder, ClipImageProcessor imageProcessor, VisionTower tower,
                boolean owner) {
        this.dir = dir;
        this.imageDecoder = imageDecoder;
        this.imageProcessor = imageProcessor;
        this.tower = tower;
        this.owner = owner;
    }

    /** Loads the vision parts of the model at {@code root}; the caller closes them. */
    public static VisionParts load(Path root, EngineOptions options) {
        return load(ModelDirectory.open(root, GRAPHS), options);
    }

    public static VisionParts load(ModelDirectory dir, EngineOptions options) {
        return new VisionParts(dir, new ImageDecoder(options.maxImagePixels()),
                ClipImageProcessor.fromConfig(dir.file("preprocessor_config.json")), new VisionTower(dir, options),
                true);
    }

    /**
     * Decodes an image file's bytes (PNG, JPEG, GIF, BMP, WebP) and preprocesses it as CLIPImageProcessor does:
     * pixel values [3,H,W].
     *
     * @throws io.llavastream.model.image.InvalidImageException for bytes that are not a decodable image or that
     *                                                          declare more pixels than the configured limit
     */
    public float[] pixelValues(byte[] encodedImage) {
        return imageProcessor.preprocess(imageDecoder.decode(encodedImage));
    }

    public VisionTower tower() {
        return tower;
    }

    public ModelDirectory directory() {
        return dir;
    }

    /** The LLaVA model's id (error answers carry it). */
    public String modelId() {
        return dir.config().modelId();
    }

    /** The vision tower's own id, the vision cache's key. */
    public String visionModelId() {
        return dir.config().visionModelId();
    }

    /** Releases the tower's session, unless these parts are a view of a {@link LlavaModel} (which owns them). */
    @Override
    public void close() {
        if (owner) {
            tower.close();
        }
    }
}
