package io.llavastream.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.AnswerToken;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenPreviewsTest {
    static AnswerToken t(String task, String stream, int seq, String delta, boolean last) {
        return AnswerToken.newBuilder().setTaskId(task).setPostId(task.split("/")[0]).setImageIndex(0)
                .setStreamId(stream).setSeq(seq).setTokenIds(List.of()).setDelta(delta).setFinal$(last)
                .setModelId("m").setEmittedAt(Instant.EPOCH).build();
    }

    @Test
    void deltasAppendInSeqOrderAndRepeatsAreIgnored() {
        TokenPreviews p = new TokenPreviews(10);
        assertThat(p.apply(t("a/0", "s", 0, "a", false)).orElseThrow().text()).isEqualTo("a");
        assertThat(p.apply(t("a/0", "s", 0, "a", false))).isEmpty();
        assertThat(p.apply(t("a/0", "s", 1, " cat", true)).orElseThrow()).satisfies(v -> {
            assertThat(v.text()).isEqualTo("a cat");
            assertThat(v.complete()).isTrue();
            assertThat(v.gap()).isFalse();
        });
        assertThat(p.apply(t("a/0", "s", 1, " cat", true))).as("a late repeat after final").isEmpty();
    }

    @Test
    void aNewStreamStartsTheTextOverAndMissingDeltasAreMarkedAsAGap() {
        TokenPreviews p = new TokenPreviews(10);
        p.apply(t("a/0", "s1", 0, "a dog", false));
        assertThat(p.apply(t("a/0", "s2", 0, "a", false)).orElseThrow().text()).isEqualTo("a");
        assertThat(p.apply(t("b/0", "s9", 3, "late", false)).orElseThrow()).satisfies(v -> {
            assertThat(v.text()).isEqualTo("late");
            assertThat(v.gap()).as("joined midway").isTrue();
        });
    }

    @Test
    void onlyTheMostRecentTasksAreKept() {
        TokenPreviews p = new TokenPreviews(2);
        for (int i = 0; i < 5; i++) {
            p.apply(t("p" + i + "/0", "s", 0, "x", false));
        }
        assertThat(p.size()).isEqualTo(2);
    }
}
