package io.llavastream.model.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenMergeTest {
    static final long IMAGE = 4;
    /** 2 features per image, width 3, context 12 tokens. */
    final TokenMerge merge = new TokenMerge(IMAGE, 2, 3, 12);

    @Test
    void expandsEachImageTokenIntoOnePlaceholderPerFeature() {
        assertThat(merge.expand(new long[] {1, 9, IMAGE, 7}, 1)).containsExactly(1, 9, IMAGE, IMAGE, 7);
    }

    @Test
    void scattersImageFeaturesIntoPlaceholderPositionsInOrder() {
        long[] ids = merge.expand(new long[] {1, IMAGE, 7, IMAGE}, 2);
        float[] text = new float[ids.length * 3];
        java.util.Arrays.fill(text, -1f);
        float[] a = {1, 1, 1, 2, 2, 2};
        float[] b = {3, 3, 3, 4, 4, 4};
        float[] merged = merge.scatter(ids, text, List.of(a, b));
        assertThat(merged).containsExactly(-1, -1, -1, 1, 1, 1, 2, 2, 2, -1, -1, -1, 3, 3, 3, 4, 4, 4);
    }

    @Test
    void rejectsPromptWithoutImageToken() {
        assertThatThrownBy(() -> merge.expand(new long[] {1, 9}, 1)).isInstanceOf(PromptException.class)
                .hasMessageContaining("no <image>").extracting(e -> ((PromptException) e).reason())
                .isEqualTo(PromptException.Reason.NO_IMAGE_TOKEN);
    }

    @Test
    void rejectsMoreImageTokensThanImages() {
        assertThatThrownBy(() -> merge.expand(new long[] {1, IMAGE, IMAGE}, 1)).isInstanceOf(PromptException.class)
                .hasMessageContaining("2 <image> tokens but 1 image").extracting(e -> ((PromptException) e).reason())
                .isEqualTo(PromptException.Reason.IMAGE_COUNT_MISMATCH);
    }

    @Test
    void rejectsPromptThatLeavesNoRoomInTheContext() {
        long[] longPrompt = new long[11];
        longPrompt[0] = IMAGE;
        assertThatThrownBy(() -> merge.expand(longPrompt, 1)).isInstanceOf(PromptException.class)
                .hasMessageContaining("12 tokens after expanding <image>, the context is 12")
                .extracting(e -> ((PromptException) e).reason()).isEqualTo(PromptException.Reason.TOO_LONG);
    }
}
