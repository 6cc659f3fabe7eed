package io.llavastream.stage;

import io.llavastream.model.text.IncrementalDetokenizer;
import io.llavastream.model.text.PromptTokenizer;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.schemas.TaskRef;
import io.llavastream.topics.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One decode attempt of one request as a stream of {@link AnswerToken} deltas (for {@link Topics#ANSWER_TOKENS}):
 * a fresh stream_id, seq from 0 without gaps, each delta the text its step's ids completed
 * ({@link IncrementalDetokenizer}), and a final delta that makes the concatenation equal the answer's text. When
 * the tokenizer revised text already sent, the final delta instead starts a new stream (new stream_id, seq 0)
 * carrying the whole text, which a reader treats like any restart: it starts the task's text over.
 */
final class TokenStream {
    private final TaskRef task;
    private final String modelId;
    private final IncrementalDetokenizer text;
    private String streamId = UUID.randomUUID().toString();
    private int seq;
    /** Ids added since the last delta (usually one: a delta per decode step). */
    private List<Long> pending = new ArrayList<>(1);
    private final List<Long> all;

    TokenStream(TaskRef task, String modelId, PromptTokenizer tokenizer, int expectedTokens) {
        this.task = task;
        this.modelId = modelId;
        this.text = new IncrementalDetokenizer(tokenizer, expectedTokens);
        this.all = new ArrayList<>(expectedTokens);
    }

    /** Whether ids were added since the last delta. */
    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** A generated id. */
    void add(long id) {
        text.add(id);
        pending.add(id);
        all.add(id);
    }

    /** The delta of the ids added since the last one (not final); its text may be empty. */
    Output<AnswerToken> delta(Instant now) {
        return output(text.next(), false, now);
    }

    /** The stream's final delta, given the answer's text; a new one-delta stream when the text was revised. */
    Output<AnswerToken> last(String answerText, Instant now) {
        String delta = text.finish(answerText);
        if (delta == null) {
            streamId = UUID.randomUUID().toString();
            seq = 0;
            pending = all;
            delta = answerText;
        }
        return output(delta, true, now);
    }

    private Output<AnswerToken> output(String delta, boolean last, Instant now) {
        AnswerToken t = AnswerToken.newBuilder().setTaskId(task.getTaskId()).setPostId(task.getPostId())
                .setImageIndex(task.getImageIndex()).setStreamId(streamId).setSeq(seq++).setTokenIds(pending)
                .setDelta(delta).setFinal$(last).setModelId(modelId).setEmittedAt(now).build();
        pending = new ArrayList<>(1);
        return new Output<>(Topics.ANSWER_TOKENS, task.getTaskId(), t);
    }
}
