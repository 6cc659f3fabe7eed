package io.llavastream.model.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The fields of a Hugging Face {@code preprocessor_config.json} that {@code CLIPImageProcessor}
 * uses, validated.
 *
 * <p>Resize target: either {@code shortestEdge > 0} (resize keeping aspect ratio; then
 * {@code resizeHeight}/{@code resizeWidth} are 0) or {@code resizeHeight x resizeWidth} exactly
 * (then {@code shortestEdge} is 0). Both spellings Hugging Face accepts are parsed: the current
 * {@code "size": {"shortest_edge": 336}}, {@code "crop_size": {"height": 336, "width": 336}} and
 * the legacy {@code "size": 336}, {@code "crop_size": 336} of the original OpenAI CLIP configs.
 * Absent fields take {@code CLIPImageProcessor}'s defaults.
 *
 * @param doResize       {@code do_resize}
 * @param shortestEdge   {@code size.shortest_edge}, or 0 when an exact size is given
 * @param resizeHeight   {@code size.height}, or 0
 * @param resizeWidth    {@code size.width}, or 0
 * @param cropHeight     {@code crop_size.height}
 * @param cropWidth      {@code crop_size.width}
 * @param doRescale      {@code do_rescale}
 * @param rescaleFactor  {@code rescale_factor} (1/255)
 * @param doNormalize    {@code do_normalize}
 * @param imageMean      {@code image_mean}, three values (R, G, B)
 * @param imageStd       {@code image_std}, three values, each &gt; 0
 */
public record PreprocessorConfig(
        boolean doResize,
        int shortestEdge,
        int resizeHeight,
        int resizeWidth,
        int cropHeight,
        int cropWidth,
        boolean doRescale,
        double rescaleFactor,
        boolean doNormalize,
        double[] imageMean,
        double[] imageStd) {

    /** Pillow's BICUBIC, the only {@code resample} value supported. */
    public static final int RESAMPLE_BICUBIC = 3;
    /** Upper bound for sizes, to catch configs with garbage before they allocate. */
    public static final int MAX_SIDE = 8192;

    static final double[] OPENAI_CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    static final double[] OPENAI_CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Validates the fields; the message names the bad field. */
    public PreprocessorConfig {
        boolean exactSize = shortestEdge == 0 && (resizeHeight != 0 || resizeWidth != 0);
        if (!exactSize) {
            checkSide("size.shortest_edge", shortestEdge);
            if (resizeHeight != 0 || resizeWidth != 0) {
                throw new IllegalArgumentException("size: give either shortest_edge or height and width, not both");
            }
        } else {
            checkSide("size.height", resizeHeight);
            checkSide("size.width", resizeWidth);
        }
        checkSide("crop_size.height", cropHeight);
        checkSide("crop_size.width", cropWidth);
        if (!(rescaleFactor > 0) || Double.isInfinite(rescaleFactor)) {
            throw new IllegalArgumentException("rescale_factor: " + rescaleFactor + " is invalid; expected a finite"
                    + " number > 0 (usually 1/255 = 0.00392156862745098)");
        }
        imageMean = checkTriple("image_mean", imageMean, false);
        imageStd = checkTriple("image_std", imageStd, true);
    }

    /** LLaVA-1.5's setting (CLIP ViT-L/14-336): shortest edge 336, crop 336x336, OpenAI mean/std. */
    public static PreprocessorConfig llava15() {
        return new PreprocessorConfig(true, 336, 0, 0, 336, 336, true, 1.0 / 255, true,
                OPENAI_CLIP_MEAN, OPENAI_CLIP_STD);
    }

    /**
     * Reads and validates a {@code preprocessor_config.json}.
     *
     * @throws IllegalArgumentException naming the field, for invalid or unsupported values
     * @throws UncheckedIOException if the file cannot be read
     */
    public static PreprocessorConfig read(Path preprocessorConfigJson) {
        String text;
        try {
            text = Files.readString(preprocessorConfigJson);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + preprocessorConfigJson, e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(preprocessorConfigJson + " is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(preprocessorConfigJson + ": " + e.getMessage(), e);
        }
    }

    /** Builds a config from a parsed {@code preprocessor_config.json} object. */
    public static PreprocessorConfig fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object at the top level");
        }
        int resample = intField(root, "resample", RESAMPLE_BICUBIC);
        if (resample != RESAMPLE_BICUBIC) {
            throw new IllegalArgumentException("resample: " + resample + " is not supported; expected "
                    + RESAMPLE_BICUBIC + " (PIL BICUBIC)");
        }
        if (!boolField(root, "do_center_crop", true)) {
            throw new IllegalArgumentException("do_center_crop: false is not supported; expected true, because"
                    + " the vision tower needs a fixed [3, height, width] input");
        }
        if (!boolField(root, "do_convert_rgb", true)) {
            throw new IllegalArgumentException("do_convert_rgb: false is not supported; expected true"
                    + " (decoded images are always RGB)");
        }
        int shortest = 224;
        int height = 0;
        int width = 0;
        JsonNode size = root.get("size");
        if (size != null && !size.isNull()) {
            if (size.isInt()) {
                shortest = size.intValue(); // legacy: an int means the shortest edge for CLIP
            } else if (size.isObject() && size.has("shortest_edge")) {
                shortest = intField(size, "shortest_edge", "size.shortest_edge");
            } else if (size.isObject() && size.has("height") && size.has("width")) {
                shortest = 0;
                height = intField(size, "height", "size.height");
                width = intField(size, "width", "size.width");
            } else {
                throw new IllegalArgumentException("size: " + size + " is not supported; expected an integer,"
                        + " {\"shortest_edge\": N} or {\"height\": H, \"width\": W}");
            }
        }
        int cropH = 224;
        int cropW = 224;
        JsonNode crop = root.get("crop_size");
        if (crop != null && !crop.isNull()) {
            if (crop.isInt()) {
                cropH = crop.intValue();
                cropW = crop.intValue();
            } else if (crop.isObject() && crop.has("height") && crop.has("width")) {
                cropH = intField(crop, "height", "crop_size.height");
                cropW = intField(crop, "width", "crop_size.width");
            } else {
                throw new IllegalArgumentException("crop_size: " + crop + " is not supported; expected an integer"
                        + " or {\"height\": H, \"width\": W}");
            }
        }
        return new PreprocessorConfig(
                boolField(root, "do_resize", true), shortest, height, width, cropH, cropW,
                boolField(root, "do_rescale", true), doubleField(root, "rescale_factor", 1.0 / 255),
                boolField(root, "do_normalize", true),
                tripleField(root, "image_mean", OPENAI_CLIP_MEAN), tripleField(root, "image_std", OPENAI_CLIP_STD));
    }

    // Records compare arrays by identity; compare and print their contents instead.
    @Override
    public boolean equals(Object o) {
        return o instanceof PreprocessorConfig c && doResize == c.doResize && shortestEdge == c.shortestEdge
                && resizeHeight == c.resizeHeight && resizeWidth == c.resizeWidth && cropHeight == c.cropHeight
                && cropWidth == c.cropWidth && doRescale == c.doRescale
                && Double.compare(rescaleFactor, c.rescaleFactor) == 0 && doNormalize == c.doNormalize
                && Arrays.equals(imageMean, c.imageMean) && Arrays.equals(imageStd, c.imageStd);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {doResize, shortestEdge, resizeHeight, resizeWidth, cropHeight,
            cropWidth, doRescale, rescaleFactor, doNormalize, Arrays.hashCode(imageMean), Arrays.hashCode(imageStd)});
    }

    @Override
    public String toString() {
        String resize = shortestEdge > 0 ? "shortest_edge=" + shortestEdge : resizeHeight + "x" + resizeWidth;
        return "PreprocessorConfig[do_resize=" + doResize + ", size=" + resize + ", crop_size=" + cropHeight + "x"
                + cropWidth + ", do_rescale=" + doRescale + ", rescale_factor=" + rescaleFactor + ", do_normalize="
                + doNormalize + ", image_mean=" + Arrays.toString(imageMean) + ", image_std="
                + Arrays.toString(imageStd) + "]";
    }

    @Override
    public double[] imageMean() {
        return imageMean.clone();
    }

    @Override
    public double[] imageStd() {
        return imageStd.clone();
    }

    private static void checkSide(String field, int value) {
        if (value < 1 || value > MAX_SIDE) {
            throw new IllegalArgumentException(field + ": " + value + " is invalid; expected an integer in 1.."
                    + MAX_SIDE);
        }
    }

    private static double[] checkTriple(String field, double[] values, boolean positive) {
        if (values == null || values.length != 3) {
            throw new IllegalArgumentException(field + ": " + Arrays.toString(values)
                    + " is invalid; expected 3 numbers (R, G, B)");
        }
        for (double v : values) {
            if (!Double.isFinite(v) || (positive && !(v > 0))) {
                throw new IllegalArgumentException(field + ": " + Arrays.toString(values) + " is invalid; expected 3"
                        + (positive ? " finite numbers > 0" : " finite numbers"));
            }
        }
        return values.clone();
    }

    private static boolean boolField(JsonNode node, String field, boolean dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(field + ": " + v + " is invalid; expected true or false");
        }
        return v.booleanValue();
    }

    private static int intField(JsonNode node, String field, int dflt) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? dflt : intValue(v, field);
    }

    private static int intField(JsonNode node, String field, String qualifiedName) {
        return intValue(node.get(field), qualifiedName);
    }

    private static int intValue(JsonNode v, String name) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException(name + ": " + v + " is invalid; expected an integer");
        }
        return v.intValue();
    }

    private static double doubleField(JsonNode node, String field, double dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException(field + ": " + v + " is invalid; expected a number");
        }
        return v.doubleValue();
    }

    private static double[] tripleField(JsonNode node, String field, double[] dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (v.isNumber()) {
            return new double[] {v.doubleValue(), v.doubleValue(), v.doubleValue()}; // HF broadcasts a scalar
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(field + ": " + v + " is invalid; expected 3 numbers (R, G, B)");
        }
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isNumber()) {
                throw new IllegalArgumentException(field + ": " + v + " is invalid; expected 3 numbers (R, G, B)");
            }
            out[i] = v.get(i).doubleValue();
        }
        return out;
    }
}
