package io.llavastream.model.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading and validating {@code preprocessor_config.json}. */
class PreprocessorConfigTest {
    @TempDir
    Path dir;

    @Test
    void readsLlavaHfConfig() {
        PreprocessorConfig c = PreprocessorConfig.read(TestImages.resourcePath("preprocessor/llava-1.5-preprocessor_config.json"));
        assertThat(c).isEqualTo(PreprocessorConfig.llava15());
        assertThat(c.shortestEdge()).isEqualTo(336);
        assertThat(c.cropHeight()).isEqualTo(336);
        assertThat(c.cropWidth()).isEqualTo(336);
        assertThat(c.rescaleFactor()).isEqualTo(0.00392156862745098);
        assertThat(c.imageStd()).containsExactly(0.26862954, 0.26130258, 0.27577711);
    }

    @Test
    void readsLegacyOpenAiClipConfigWithIntegerSizes() {
        PreprocessorConfig c = PreprocessorConfig.read(TestImages.resourcePath("preprocessor/clip-legacy-preprocessor_config.json"));
        assertThat(c).isEqualTo(PreprocessorConfig.llava15());
    }

    @Test
    void absentFieldsTakeClipImageProcessorDefaults() throws IOException {
        PreprocessorConfig c = PreprocessorConfig.read(write("{}"));
        assertThat(c.shortestEdge()).isEqualTo(224);
        assertThat(c.cropHeight()).isEqualTo(224);
        assertThat(c.doResize()).isTrue();
        assertThat(c.doNormalize()).isTrue();
        assertThat(c.imageMean()).containsExactly(PreprocessorConfig.OPENAI_CLIP_MEAN);
    }

    @Test
    void readsAnExactResizeSize() throws IOException {
        PreprocessorConfig c = PreprocessorConfig.read(write("{\"size\": {\"height\": 300, \"width\": 200},"
                + " \"crop_size\": {\"height\": 100, \"width\": 120}}"));
        assertThat(c.shortestEdge()).isZero();
        assertThat(c.resizeHeight()).isEqualTo(300);
        assertThat(c.resizeWidth()).isEqualTo(200);
        assertThat(new ClipImageProcessor(c).outputSize()).isEqualTo(3 * 100 * 120);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"image_std\": [0.2, 0, 0.3]}                     | image_std: [0.2, 0.0, 0.3] is invalid",
        "{\"image_mean\": [0.5, 0.5]}                       | image_mean: [0.5, 0.5] is invalid; expected 3 numbers",
        "{\"image_mean\": \"gray\"}                         | image_mean: \"gray\" is invalid",
        "{\"resample\": 2}                                  | resample: 2 is not supported; expected 3",
        "{\"crop_size\": {\"height\": 0, \"width\": 336}}   | crop_size.height: 0 is invalid",
        "{\"crop_size\": [336, 336]}                        | crop_size: [336,336] is not supported",
        "{\"size\": {\"longest_edge\": 336}}                | size: {\"longest_edge\":336} is not supported",
        "{\"size\": {\"shortest_edge\": -4}}                | size.shortest_edge: -4 is invalid",
        "{\"size\": {\"shortest_edge\": 3.5}}               | size.shortest_edge: 3.5 is invalid; expected an integer",
        "{\"size\": 100000}                                 | size.shortest_edge: 100000 is invalid; expected an integer in 1..8192",
        "{\"rescale_factor\": -1}                           | rescale_factor: -1.0 is invalid",
        "{\"do_resize\": \"yes\"}                           | do_resize: \"yes\" is invalid; expected true or false",
        "{\"do_center_crop\": false}                        | do_center_crop: false is not supported",
        "[1, 2]                                             | expected a JSON object",
    })
    void rejectsInvalidFieldsNamingTheField(String json, String message) throws IOException {
        Path file = write(json);
        assertThatThrownBy(() -> ClipImageProcessor.fromConfig(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining(message);
    }

    @Test
    void rejectsMalformedJson() throws IOException {
        Path file = write("{\"size\": ");
        assertThatThrownBy(() -> PreprocessorConfig.read(file))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not valid JSON");
    }

    @Test
    void reportsAMissingFile() {
        assertThatThrownBy(() -> PreprocessorConfig.read(dir.resolve("absent.json")))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("absent.json");
    }

    private Path write(String json) throws IOException {
        Path file = dir.resolve("preprocessor_config.json");
        Files.writeString(file, json);
        return file;
    }
}
