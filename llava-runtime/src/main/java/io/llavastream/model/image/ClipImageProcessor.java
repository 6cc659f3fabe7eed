package io.llavastream.model.image;

import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Hugging Face's {@code CLIPImageProcessor} with the PIL backend, reproduced: the same tensor for
 * the same image, so that the vision tower sees what it saw in training.
 *
 * <p>Steps, each as {@code transformers} does them:
 * <ol>
 *   <li>convert to RGB (see {@link RgbImages}; a decoded image from {@link ImageDecoder} already is);
 *   <li>resize with Pillow's BICUBIC ({@link PilBicubicResampler}). For {@code shortest_edge = s}
 *       ({@code get_resize_output_image_size} with {@code default_to_square=False}): with
 *       {@code short, long} the image's sides, the short side becomes {@code s} and the long side
 *       {@code int(s * long / short)} (truncated, not rounded);
 *   <li>center crop ({@code image_transforms.center_crop}): {@code top = (h - crop_h) // 2},
 *       {@code left = (w - crop_w) // 2} (floor division); where the crop is larger than the
 *       image, the missing pixels are 0, as Hugging Face's zero padding gives;
 *   <li>rescale: {@code float32(float64(v) * rescale_factor)};
 *   <li>normalize in float32: {@code (x - float32(mean[c])) / float32(std[c])}.
 * </ol>
 * Steps 4-5 depend only on the channel and the uint8 value, so they are a 3x256 lookup table,
 * computed with the same float32 operations numpy performs.
 *
 * <p>Output is CHW: {@code [3, cropHeight, cropWidth]} floats, channel R then G then B, rows
 * top to bottom. Only the crop window of the resized image is computed.
 *
 * <p>Immutable and thread-safe.
 */
public final class ClipImageProcessor {
    private final PreprocessorConfig config;
    /** lut[c * 256 + v]: the final normalised value of uint8 {@code v} in channel {@code c}. */
    private final float[] lut;

    public ClipImageProcessor(PreprocessorConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.lut = buildLut(config);
    }

    /**
     * Reads a model directory's {@code preprocessor_config.json}.
     *
     * @throws IllegalArgumentException naming the field, for invalid or unsupported values
     * @throws java.io.UncheckedIOException if the file cannot be read
     */
    public static ClipImageProcessor fromConfig(Path preprocessorConfigJson) {
        return new ClipImageProcessor(PreprocessorConfig.read(preprocessorConfigJson));
    }

    public PreprocessorConfig config() {
        return config;
    }

    /** Height of the output, {@code crop_size.height}. */
    public int outputHeight() {
        return config.cropHeight();
    }

    /** Width of the output, {@code crop_size.width}. */
    public int outputWidth() {
        return config.cropWidth();
    }

    /** Floats per image: {@code 3 * outputHeight() * outputWidth()}. */
    public int outputSize() {
        return 3 * config.cropHeight() * config.cropWidth();
    }

    /** Preprocesses {@code image} into a new {@code [3, H, W]} CHW array. */
    public float[] preprocess(BufferedImage image) {
        float[] out = new float[outputSize()];
        preprocess(image, out, 0);
        return out;
    }

    /**
     * Writes the {@code [3, H, W]} CHW tensor of {@code image} into {@code dest[offset ..
     * offset + outputSize())}, e.g. {@code offset = i * outputSize()} for image {@code i} of a batch.
     */
    public void preprocess(BufferedImage image, float[] dest, int offset) {
        Objects.checkFromIndexSize(offset, outputSize(), dest.length);
        int[] crop = croppedPixels(image);
        int plane = config.cropHeight() * config.cropWidth();
        for (int i = 0; i < plane; i++) {
            int p = crop[i];
            dest[offset + i] = lut[(p >> 16) & 0xFF];
            dest[offset + plane + i] = lut[256 + ((p >> 8) & 0xFF)];
            dest[offset + 2 * plane + i] = lut[512 + (p & 0xFF)];
        }
    }

    /**
     * Writes the tensor into {@code dest} starting at absolute index {@code index}; the buffer's
     * position and limit are not changed (so a direct buffer shared with ONNX Runtime can be filled
     * image by image).
     */
    public void preprocess(BufferedImage image, FloatBuffer dest, int index) {
        Objects.checkFromIndexSize(index, outputSize(), dest.limit());
        int[] crop = croppedPixels(image);
        int plane = config.cropHeight() * config.cropWidth();
        for (int i = 0; i < plane; i++) {
            int p = crop[i];
            dest.put(index + i, lut[(p >> 16) & 0xFF]);
            dest.put(index + plane + i, lut[256 + ((p >> 8) & 0xFF)]);
            dest.put(index + 2 * plane + i, lut[512 + (p & 0xFF)]);
        }
    }

    /** The resized, cropped uint8 RGB pixels (packed 0xRRGGBB, row-major, cropH x cropW). */
    int[] croppedPixels(BufferedImage image) {
        Objects.requireNonNull(image, "image");
        int w = image.getWidth();
        int h = image.getHeight();
        int[] pixels = RgbImages.packedPixels(image);
        long resizedW = w;
        long resizedH = h;
        if (config.doResize()) {
            long[] size = resizedSize(w, h);
            resizedH = size[0];
            resizedW = size[1];
        }
        int cropH = config.cropHeight();
        int cropW = config.cropWidth();
        // Center-crop origin in resized coordinates, Python floor division; negative when padding.
        long top = Math.floorDiv(resizedH - cropH, 2L);
        long left = Math.floorDiv(resizedW - cropW, 2L);
        // The part of the crop that lies inside the resized image.
        int y0 = (int) Math.max(0, top);
        int x0 = (int) Math.max(0, left);
        int winH = (int) (Math.min(resizedH, top + cropH) - y0);
        int winW = (int) (Math.min(resizedW, left + cropW) - x0);
        int[] window = (resizedW == w && resizedH == h)
                ? copyWindow(pixels, w, x0, y0, winW, winH)
                : PilBicubicResampler.resizeWindow(pixels, w, h, resizedW, resizedH, x0, y0, winW, winH);
        if (winW == cropW && winH == cropH) {
            return window;
        }
        int[] out = new int[cropH * cropW]; // zero padding: uint8 0 in every channel
        int dy = (int) (y0 - top);
        int dx = (int) (x0 - left);
        for (int y = 0; y < winH; y++) {
            System.arraycopy(window, y * winW, out, (y + dy) * cropW + dx, winW);
        }
        return out;
    }

    /**
     * Output {height, width} of the resize step for a {@code w x h} image, as
     * {@code get_resize_output_image_size} computes it.
     */
    long[] resizedSize(int w, int h) {
        if (config.shortestEdge() == 0) {
            return new long[] {config.resizeHeight(), config.resizeWidth()};
        }
        long s = config.shortestEdge();
        int shortSide = Math.min(w, h);
        int longSide = Math.max(w, h);
        // Python: int(s * long / short): exact integer product, true division, truncation.
        long newLong = (long) ((double) (s * longSide) / shortSide);
        if (newLong > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("image " + w + "x" + h + " is too elongated: resizing its short side to "
                    + s + " makes its long side " + newLong + " pixels; expected at most " + Integer.MAX_VALUE);
        }
        return w <= h ? new long[] {newLong, s} : new long[] {s, newLong};
    }

    private static int[] copyWindow(int[] pixels, int w, int x0, int y0, int winW, int winH) {
        int[] out = new int[winW * winH];
        for (int y = 0; y < winH; y++) {
            System.arraycopy(pixels, (y0 + y) * w + x0, out, y * winW, winW);
        }
        return out;
    }

    private static float[] buildLut(PreprocessorConfig c) {
        double[] mean = c.imageMean();
        double[] std = c.imageStd();
        float[] lut = new float[3 * 256];
        for (int ch = 0; ch < 3; ch++) {
            // numpy: np.array(mean, dtype=image.dtype) with image float32
            float m = (float) mean[ch];
            float sd = (float) std[ch];
            for (int v = 0; v < 256; v++) {
                // rescale: image.astype(float64) * scale, then .astype(float32)
                float x = c.doRescale() ? (float) (v * c.rescaleFactor()) : (float) v;
                lut[ch * 256 + v] = c.doNormalize() ? (x - m) / sd : x;
            }
        }
        return lut;
    }
}
