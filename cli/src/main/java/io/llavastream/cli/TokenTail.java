package io.llavastream.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.rules.TokenFold;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.serde.AvroSerde;
import io.llavastream.topics.Topics;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * {@code tail --tokens}: follows the token previews and shows each task's text as it grows ({@link TokenFold}).
 * Plain output on a terminal rewrites the line of the task being generated in place and leaves a completed line
 * when its final delta comes; elsewhere (a pipe, a file) it prints one line per delta, {@code <task> | <text so
 * far>}, and {@code <task> = <text>} when final. A stream that restarts prints {@code <task> ~ restarted} first.
 * {@code --json} prints one object per delta. Records that are not token deltas are skipped with a line on stderr.
 *
 * <p>Reads {@link Topics#ANSWER_TOKENS}; writes none.
 */
final class TokenTail implements Callable<Integer> {
    private static final String CLEAR_LINE = "\r\033[K";

    private final Map<String, Object> props;
    private final AvroSerde<AnswerToken> serde;
    private final int max;
    private final boolean json;
    private final boolean live;
    private final PrintStream out = System.out;
    private final TokenFold fold = new TokenFold();
    /** On a terminal: the task whose growing line is the current one (not yet ended with a newline). */
    private String liveTask;

    /**
     * @param props a consumer's properties (group, offset reset, isolation)
     * @param max   stop after this many final deltas; 0 = follow forever
     */
    TokenTail(Map<String, Object> props, AvroSerde<AnswerToken> serde, int max, boolean json) {
        this.props = props;
        this.serde = serde;
        this.max = max;
        this.json = json;
        this.live = !json && System.console() != null;
    }

    @Override
    public Integer call() {
        int finals = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.ANSWER_TOKENS.name()));
            while (max == 0 || finals < max) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    AnswerToken t = TailCommand.readable(serde, r, "a token delta");
                    if (t == null) {
                        continue;
                    }
                    TokenFold.Update u = fold.add(t);
                    if (u.ignored()) {
                        continue;
                    }
                    print(u);
                    if (t.getFinal$() && ++finals == max) {
                        break;
                    }
                }
            }
        } finally {
            if (liveTask != null) {
                out.println();
            }
        }
        return 0;
    }

    private void print(TokenFold.Update u) {
        if (json) {
            JsonLines.print(json(u));
            return;
        }
        AnswerToken t = u.token();
        String task = t.getTaskId();
        if (live && liveTask != null && !liveTask.equals(task)) {
            out.println();  // another task's line stays as it was
        }
        String prefix = live ? CLEAR_LINE : "";
        if (u.restarted()) {
            out.println(prefix + task + " ~ restarted (a new stream after a retry)");
        }
        String line = task + (t.getFinal$() ? " = " : " | ") + u.text() + (u.gap() ? "  [deltas missing]" : "");
        if (live && !t.getFinal$()) {
            out.print(prefix + line);
            out.flush();
            liveTask = task;
        } else {
            out.println(prefix + line);
            liveTask = null;
        }
    }

    private static ObjectNode json(TokenFold.Update u) {
        AnswerToken t = u.token();
        ObjectNode n = JsonLines.object().put("task_id", t.getTaskId()).put("post_id", t.getPostId())
                .put("image_index", t.getImageIndex()).put("stream_id", t.getStreamId()).put("seq", t.getSeq())
                .put("delta", t.getDelta()).put("text", u.text()).put("final", t.getFinal$())
                .put("restarted", u.restarted()).put("gap", u.gap()).put("model_id", t.getModelId())
                .put("emitted_at", t.getEmittedAt().toString());
        t.getTokenIds().forEach(n.putArray("token_ids")::add);
        return n;
    }
}
