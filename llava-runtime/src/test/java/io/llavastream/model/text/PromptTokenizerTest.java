package io.llavastream.model.text;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.ModelDirectory;
import io.llavastream.scenes.PromptTemplate;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The caption prompt's size in tokens, which docs/scaling.md and {@code bench bytes} use: with the bundled model's
 * tokenizer, "USER: &lt;image&gt;\ndescribe the image. ASSISTANT:" is one {@code <image>} token and 9 text tokens.
 */
class PromptTokenizerTest {
    @Test
    void theCaptionPromptIsOneImageTokenAndNineTextTokens() {
        ModelDirectory dir = ModelDirectory.open(ModelDirectory.bundled(), List.of());
        long image = dir.config().imageTokenIndex();
        try (PromptTokenizer tokenizer = new PromptTokenizer(dir)) {
            long[] ids = tokenizer.encode(PromptTemplate.captionPrompt());
            assertThat(Arrays.stream(ids).filter(id -> id == image).count()).as("<image> tokens").isEqualTo(1);
            assertThat(Arrays.stream(ids).filter(id -> id != image).count()).as("text tokens in %s", Arrays.toString(ids))
                    .isEqualTo(9);
        }
    }
}
