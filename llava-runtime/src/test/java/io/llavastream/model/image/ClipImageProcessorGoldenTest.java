package io.llavastream.model.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity with Hugging Face's CLIPImageProcessor (PIL backend) on real photographs: decode with
 * {@link ImageDecoder}, preprocess, compare with the float32 goldens written by
 * {@code tools/reference/clip_preprocess_golden.py}.
 *
 * <p>Tolerance: one uint8 level after resizing, in normalised units {@code 1 / 255 / min(std)}
 * = 0.0150 (min std = 0.26130258, green). Measured: identical (max and mean difference 0) for
 * every case, because the resampler reproduces Pillow's fixed-point arithmetic exactly and the
 * JPEG is decoded by the same libjpeg algorithm Pillow uses.
 */
class ClipImageProcessorGoldenTest {
    private static final String GOLDEN = "photos/golden/";

    static List<Named<JsonNode>> goldenCases() throws IOException {
        JsonNode manifest = new ObjectMapper().readTree(TestImages.resource(GOLDEN + "manifest.json"));
        List<Named<JsonNode>> cases = new ArrayList<>();
        for (JsonNode e : manifest.get("entries")) {
            cases.add(Named.of(e.get("photo").textValue() + " shortest_edge=" + e.get("shortest_edge") + " crop="
                    + e.get("crop_size"), e));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenCases")
    void matchesPillowGoldenWithinOneUint8Level(JsonNode entry) throws IOException {
        JsonNode manifest = new ObjectMapper().readTree(TestImages.resource(GOLDEN + "manifest.json"));
        int shortestEdge = entry.get("shortest_edge").intValue();
        int crop = entry.get("crop_size").intValue();
        ClipImageProcessor processor = shortestEdge == 336
                // LLaVA-1.5's real config file, so the parsing is covered by the parity check too.
                ? ClipImageProcessor.fromConfig(TestImages.resourcePath("preprocessor/llava-1.5-preprocessor_config.json"))
                : new ClipImageProcessor(new PreprocessorConfig(true, shortestEdge, 0, 0, crop, crop, true,
                        manifest.get("rescale_factor").doubleValue(), true,
                        doubles(manifest.get("image_mean")), doubles(manifest.get("image_std"))));
        assertThat(processor.config().shortestEdge()).isEqualTo(shortestEdge);
        assertThat(processor.outputHeight()).isEqualTo(crop);

        BufferedImage image = new ImageDecoder().decode(TestImages.resource("photos/" + entry.get("photo").textValue()));
        long[] resized = processor.resizedSize(image.getWidth(), image.getHeight());
        assertThat(resized[0]).isEqualTo(entry.get("resized_size").get(0).longValue());
        assertThat(resized[1]).isEqualTo(entry.get("resized_size").get(1).longValue());

        float[] actual = processor.preprocess(image);
        FloatBuffer golden = ByteBuffer.wrap(TestImages.resource(GOLDEN + entry.get("file").textValue()))
                .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        assertThat(actual).hasSize(golden.remaining()).hasSize(3 * crop * crop);

        double minStd = Math.min(Math.min(processor.config().imageStd()[0], processor.config().imageStd()[1]),
                processor.config().imageStd()[2]);
        double oneLevel = 1.0 / 255 / minStd;
        double tolerance = oneLevel + 1e-6; // + float32 rounding of the normalised value
        double max = 0;
        double sum = 0;
        int differing = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - golden.get(i));
            max = Math.max(max, d);
            sum += d;
            if (d > 0) {
                differing++;
            }
        }
        double mean = sum / actual.length;
        System.out.printf(Locale.ROOT, "CLIP preprocessing vs Pillow golden, %s shortest_edge=%d crop=%d: "
                        + "max |diff| %.6g, mean |diff| %.3g, %d of %d values differ (tolerance %.4f = 1 uint8 level)%n",
                entry.get("photo").textValue(), shortestEdge, crop, max, mean, differing, actual.length, tolerance);
        assertThat(max).as("max |diff| in normalised units").isLessThanOrEqualTo(tolerance);
        assertThat(mean).as("mean |diff| in normalised units").isLessThanOrEqualTo(oneLevel / 100);
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).doubleValue();
        }
        return out;
    }
}
