package io.llavastream.console;

import io.llavastream.schemas.AnswerToken;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Folds the answer-tokens topic's deltas into each task's text so far. Deltas of one stream are appended in seq
 * order; a delta of a new stream_id for a task (a retry, or a replay after a crash) starts its text over; a
 * repeated or out-of-order seq is ignored; a {@code final} delta completes the text. Bounded: the least recently
 * updated tasks are forgotten past {@code maxTasks}.
 */
final class TokenPreviews {
    /** One task's text so far. */
    record Preview(String taskId, String postId, int imageIndex, String streamId, int seq, String text,
                   boolean complete) {
    }

    private static final class Fold {
        final String streamId;
        final StringBuilder text = new StringBuilder();
        int nextSeq;
        boolean complete;

        Fold(String streamId) {
            this.streamId = streamId;
        }
    }

    private final Map<String, Fold> folds;

    TokenPreviews(int maxTasks) {
        this.folds = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Fold> eldest) {
                return size() > maxTasks;
            }
        };
    }

    /** Applies {@code t}; the task's preview when it changed, empty when the delta was a repeat or out of order. */
    synchronized Optional<Preview> apply(AnswerToken t) {
        String task = t.getTaskId();
        Fold f = folds.get(task);
        if (f == null || !f.streamId.equals(t.getStreamId())) {
            if (t.getSeq() != 0) {
                return Optional.empty();  // joined a stream midway (its start was before our read began)
            }
            f = new Fold(t.getStreamId());
            folds.put(task, f);
        }
        if (t.getSeq() != f.nextSeq || f.complete) {
            return Optional.empty();
        }
        f.nextSeq++;
        f.text.append(t.getDelta());
        f.complete = t.getFinal$();
        return Optional.of(new Preview(task, t.getPostId(), t.getImageIndex(), f.streamId, t.getSeq(),
                f.text.toString(), f.complete));
    }

    synchronized int size() {
        return folds.size();
    }
}
