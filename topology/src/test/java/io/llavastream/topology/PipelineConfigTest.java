package io.llavastream.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class PipelineConfigTest {
    @Test
    void defaultsApplyWhenOnlyTheVisionModelIsGiven() {
        PipelineConfig c = new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "llava-stream/demo-v1"));
        assertThat(c.applicationId()).isEqualTo("llava-topology");
        assertThat(c.visionModelId()).isEqualTo("llava-stream/demo-v1");
        assertThat(c.defaultPrompt()).isEqualTo("USER: <image>\ndescribe the image. ASSISTANT:");
        assertThat(c.maxImagesPerPost()).isEqualTo(16);
        assertThat(c.maxImageBytes()).isEqualTo(8 * 1024 * 1024);
        assertThat(c.replicationFactor()).isEqualTo((short) -1);
        assertThat(c.stateDir()).isNull();
    }

    @Test
    void visionModelIdIsRequired() {
        assertThatThrownBy(() -> new PipelineConfig(Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining(PipelineConfig.VISION_MODEL_ID_CONFIG);
    }

    @Test
    void promptWithoutExactlyOneImagePlaceholderIsRefused() {
        for (String prompt : new String[] {"describe it", "<image><image> describe"}) {
            assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                    PipelineConfig.DEFAULT_PROMPT_CONFIG, prompt)))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("<image> exactly once");
        }
    }

    @Test
    void sourceAdaptersAreParsedAndABadEntryIsRefusedNamingIt() {
        assertThat(new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                PipelineConfig.SOURCE_ADAPTERS_CONFIG, "shop=catalog;blog=terse")).sourceAdapters())
                .containsEntry("shop", "catalog").containsEntry("blog", "terse");
        assertThat(new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m")).sourceAdapters()).isEmpty();
        assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                PipelineConfig.SOURCE_ADAPTERS_CONFIG, "shop")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("\"shop\"");
    }

    @Test
    void limitsAreValidatedAndParsedFromStrings() {
        assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                PipelineConfig.MAX_IMAGES_PER_POST_CONFIG, "0"))).isInstanceOf(ConfigException.class);
        assertThat(new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                PipelineConfig.MAX_IMAGE_BYTES_CONFIG, "1024")).maxImageBytes()).isEqualTo(1024);
    }

    @Test
    void aRetentionShorterThanThePostTimeoutIsRefusedNamingBoth() {
        assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                PipelineConfig.POST_TIMEOUT_MS_CONFIG, "60000",
                PipelineConfig.COMPLETED_POST_RETENTION_MS_CONFIG, "30000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("completed.post.retention.ms").hasMessageContaining("post.timeout.ms = 60000");
    }

    @Test
    void everySettingIsDocumented() {
        for (ConfigDef.ConfigKey k : PipelineConfig.DEFINITION.configKeys().values()) {
            assertThat(k.documentation).as(k.name).isNotBlank();
        }
    }
}
