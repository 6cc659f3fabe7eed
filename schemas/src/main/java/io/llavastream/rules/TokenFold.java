package io.llavastream.rules;

import io.llavastream.schemas.AnswerToken;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Folds token deltas ({@link AnswerToken}, the answer-tokens topic) into each task's text as it grows: a task's text
 * is the concatenation of its current stream's deltas in seq order. A delta from another stream_id (a retry after a
 * crash or a reset) starts the task's text over; a seq past the next expected one means deltas were dropped (the
 * text has a gap); one at or below it was seen already and is ignored. A final delta completes the task, and a
 * later stream of the same task starts again from nothing, while a late repeat of a finished stream's delta is
 * ignored. Bounded: past {@code maxOpenTasks} streams in progress, the least recently updated one is forgotten (a
 * stream abandoned by a crash, or a post that timed out, never sends its final delta). {@code tail --tokens} and
 * the web console fold the answer-tokens topic with it. Reads and writes no topic. Not thread-safe.
 */
public final class TokenFold {
    /**
     * What one delta did to its task.
     *
     * @param text      the task's text so far, this delta included
     * @param restarted this delta began a new stream of a task that had one (its earlier text is discarded)
     * @param gap       deltas of this stream up to this one are missing (dropped, or the fold started mid-stream):
     *                  the text has a hole
     * @param ignored   a repeat of a delta already folded: nothing changed
     */
    public record Update(AnswerToken token, String text, boolean restarted, boolean gap, boolean ignored) {
    }

    private static final class Task {
        final String streamId;
        final StringBuilder text = new StringBuilder();
        int next;
        boolean gap;

        Task(String streamId) {
            this.streamId = streamId;
        }
    }

    private static final int FINISHED_KEPT = 10_000;
    /** Streams in progress kept by {@link #TokenFold()}: far more than a pipeline decodes at once. */
    public static final int DEFAULT_OPEN_TASKS = 10_000;

    /** Streams in progress by task id, least recently updated first. */
    private final Map<String, Task> tasks;
    /** The latest finished streams: a late repeat of one of their deltas is ignored, not taken for a new stream. */
    private final Set<String> finished = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > FINISHED_KEPT;
        }
    });

    /** A fold keeping up to {@link #DEFAULT_OPEN_TASKS} streams in progress. */
    public TokenFold() {
        this(DEFAULT_OPEN_TASKS);
    }

    /** A fold keeping up to {@code maxOpenTasks} streams in progress (at least 1). */
    public TokenFold(int maxOpenTasks) {
        if (maxOpenTasks < 1) {
            throw new IllegalArgumentException("maxOpenTasks must be at least 1, got " + maxOpenTasks);
        }
        this.tasks = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Task> eldest) {
                return size() > maxOpenTasks;
            }
        };
    }

    /** Folds {@code t} into its task's text. */
    public Update add(AnswerToken t) {
        if (finished.contains(t.getStreamId())) {
            return new Update(t, "", false, false, true);
        }
        Task task = tasks.get(t.getTaskId());
        boolean restarted = false;
        if (task == null || !task.streamId.equals(t.getStreamId())) {
            restarted = task != null;
            task = new Task(t.getStreamId());
            tasks.put(t.getTaskId(), task);
        }
        if (t.getSeq() < task.next) {
            return new Update(t, task.text.toString(), false, task.gap, true);
        }
        task.gap |= t.getSeq() > task.next;
        task.next = t.getSeq() + 1;
        task.text.append(t.getDelta());
        String text = task.text.toString();
        if (t.getFinal$()) {
            tasks.remove(t.getTaskId());
            finished.add(t.getStreamId());
        }
        return new Update(t, text, restarted, task.gap, false);
    }

    /** Tasks with a stream in progress (not yet final). */
    public int open() {
        return tasks.size();
    }
}
