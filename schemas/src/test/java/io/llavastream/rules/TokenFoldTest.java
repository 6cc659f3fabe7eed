package io.llavastream.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.AnswerToken;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Folding token deltas into each task's text: in order, restarts, gaps, repeats and late repeats. */
class TokenFoldTest {
    final TokenFold fold = new TokenFold();

    static AnswerToken delta(String task, String stream, int seq, String text, boolean last) {
        return AnswerToken.newBuilder().setTaskId(task).setPostId(task.substring(0, task.indexOf('/')))
                .setImageIndex(0).setStreamId(stream).setSeq(seq).setTokenIds(List.of(5L + seq)).setDelta(text)
                .setFinal$(last).setModelId("demo").setEmittedAt(Instant.EPOCH).build();
    }

    @Test
    void deltasOfOneStreamConcatenateAndTheFinalOneClosesTheTask() {
        assertThat(fold.add(delta("a/0", "s", 0, "a", false)).text()).isEqualTo("a");
        assertThat(fold.add(delta("b/0", "t", 0, "yes", false)).text()).isEqualTo("yes");
        assertThat(fold.open()).isEqualTo(2);
        TokenFold.Update last = fold.add(delta("a/0", "s", 1, " red.", true));
        assertThat(last.text()).isEqualTo("a red.");
        assertThat(last.gap()).isFalse();
        assertThat(last.restarted()).isFalse();
        assertThat(fold.open()).isEqualTo(1);
    }

    @Test
    void aNewStreamStartsTheTaskOverAndAMissingSeqIsAGap() {
        fold.add(delta("a/0", "s1", 0, "a", false));
        fold.add(delta("a/0", "s1", 1, " red", false));
        TokenFold.Update restart = fold.add(delta("a/0", "s2", 0, "a", false));
        assertThat(restart.restarted()).isTrue();
        assertThat(restart.text()).isEqualTo("a");
        TokenFold.Update gap = fold.add(delta("a/0", "s2", 2, " ball", false));
        assertThat(gap.gap()).isTrue();
        assertThat(gap.text()).isEqualTo("a ball");
        assertThat(fold.add(delta("a/0", "s2", 3, ".", true)).gap()).as("the stream had a gap").isTrue();
    }

    @Test
    void repeatsAndLateRepeatsOfAFinishedStreamAreIgnored() {
        fold.add(delta("a/0", "s", 0, "a", false));
        assertThat(fold.add(delta("a/0", "s", 0, "a", false)).ignored()).isTrue();
        fold.add(delta("a/0", "s", 1, ".", true));
        TokenFold.Update late = fold.add(delta("a/0", "s", 1, ".", true));
        assertThat(late.ignored()).isTrue();
        assertThat(fold.open()).isZero();
        TokenFold.Update again = fold.add(delta("a/0", "s9", 0, "b", false));  // a later stream of the same task
        assertThat(again.ignored()).isFalse();
        assertThat(again.restarted()).as("the task had finished: nothing to start over").isFalse();
        assertThat(again.text()).isEqualTo("b");
    }

    @Test
    void streamsThatNeverFinishAreForgottenLeastRecentlyUpdatedFirst() {
        TokenFold small = new TokenFold(2);
        small.add(delta("a/0", "sa", 0, "a", false));
        small.add(delta("b/0", "sb", 0, "b", false));
        small.add(delta("a/0", "sa", 1, " dog", false));  // a is now the most recently updated
        small.add(delta("c/0", "sc", 0, "c", false));     // b, abandoned, is forgotten
        assertThat(small.open()).isEqualTo(2);
        assertThat(small.add(delta("a/0", "sa", 2, ".", true)).text()).isEqualTo("a dog.");
        assertThat(small.add(delta("b/0", "sb", 1, "x", false)).gap()).as("b's start was forgotten").isTrue();
    }
}
