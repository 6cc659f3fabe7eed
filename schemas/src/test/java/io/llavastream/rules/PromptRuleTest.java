package io.llavastream.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class PromptRuleTest {
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
        assertThatThrownBy(() -> SourcePrompts.parse("x=<image><image>")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("\"x\"");
    }

    @Test
    void questionThenSourceThenDefault() {
        PromptRule rule = new PromptRule("D <image>", Map.of("re", "R <image>"), 10);
        assertThat(rule.prompt("why?", "re")).isEqualTo("USER: <image>\nwhy? ASSISTANT:");
        assertThat(rule.prompt(null, "re")).isEqualTo("R <image>");
        assertThat(rule.prompt(" ", "re")).as("a blank question is no question").isEqualTo("R <image>");
        assertThat(rule.prompt(" ", "other")).isEqualTo("D <image>");
    }

    @Test
    void questionOverTheCapIsRefusedWithItsLength() {
        PromptRule rule = new PromptRule("D <image>", Map.of(), 10);
        assertThat(rule.refusal("0123456789")).isNull();
        assertThat(rule.refusal(null)).isNull();
        assertThat(rule.refusal("01234567890")).contains("11 chars").contains("max.question.chars = 10");
    }
}
