package io.llavastream.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class SourcePromptsTest {
    @Test
    void parsesEntriesWithEscapes() {
        assertThat(SourcePrompts.parse("re-forum=USER: <image>\\nDescribe the code\\; briefly. ASSISTANT:; "
                + "photos = USER: <image>\\nWhere is this? ASSISTANT:;"))
                .containsExactly(Map.entry("re-forum", "USER: <image>\nDescribe the code; briefly. ASSISTANT:"),
                        Map.entry("photos", " USER: <image>\nWhere is this? ASSISTANT:"));
        assertThat(SourcePrompts.parse("")).isEmpty();
    }

    @Test
    void badEntriesNameTheirValue() {
        assertThatThrownBy(() -> SourcePrompts.parse("a=USER: <image> ASSISTANT:;oops"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("\"oops\"");
        assertThatThrownBy(() -> SourcePrompts.parse("noimage=describe it"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("noimage").hasMessageContaining("<image>");
        assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                PipelineConfig.SOURCE_PROMPTS_CONFIG, "x=<image><image>"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("\"x\"");
    }

    @Test
    void questionThenSourceThenDefault() {
        Map<String, String> bySource = Map.of("re", "R <image>");
        assertThat(Prompts.forPost("why?", "re", bySource, "D <image>")).isEqualTo("USER: <image>\nwhy? ASSISTANT:");
        assertThat(Prompts.forPost(null, "re", bySource, "D <image>")).isEqualTo("R <image>");
        assertThat(Prompts.forPost(" ", "other", bySource, "D <image>")).isEqualTo("D <image>");
    }
}
