package io.llavastream.console;

import io.llavastream.rules.TokenFold;
import io.llavastream.schemas.AnswerToken;
import java.util.Optional;

/**
 * The answer-tokens topic's deltas as each task's text so far, for the page: {@link TokenFold}'s rule (the one
 * {@code tail --tokens} uses: deltas appended in seq order, a new stream_id starts the text over, a repeat is
 * ignored, a gap is marked, a {@code final} delta completes the text), made safe for the feed and HTTP threads and
 * bounded to the most recently updated {@code maxTasks} streams in progress.
 */
final class TokenPreviews {
    /** One task's text so far; {@code gap} when deltas of its stream are missing (dropped, or joined midway). */
    record Preview(String taskId, String postId, int imageIndex, String streamId, int seq, String text,
                   boolean complete, boolean gap) {
    }

    private final TokenFold fold;

    TokenPreviews(int maxTasks) {
        this.fold = new TokenFold(maxTasks);
    }

    /** Applies {@code t}; the task's preview when it changed, empty when the delta was a repeat. */
    synchronized Optional<Preview> apply(AnswerToken t) {
        TokenFold.Update u = fold.add(t);
        if (u.ignored()) {
            return Optional.empty();
        }
        return Optional.of(new Preview(t.getTaskId(), t.getPostId(), t.getImageIndex(), t.getStreamId(), t.getSeq(),
                u.text(), t.getFinal$(), u.gap()));
    }

    /** Streams in progress. */
    synchronized int size() {
        return fold.open();
    }
}
