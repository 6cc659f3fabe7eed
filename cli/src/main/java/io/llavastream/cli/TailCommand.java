package io.llavastream.cli;

import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tail}: follows the captioned posts (read_committed) and prints every image's caption; with {@code --tokens},
 * follows the token previews instead and shows each answer's text growing as it is generated ({@link TokenTail}).
 * A record that is not what the topic holds is skipped with a line on stderr.
 *
 * With {@code --label L}, only the posts that carry label L.
 *
 * <p>Reads {@link Topics#CAPTIONED_POSTS}, or {@link Topics#ANSWER_TOKENS} with {@code --tokens}; writes none.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Follow captioned posts as they complete (reads the captioned-posts topic, read_committed); "
                + "with --tokens, each answer's text as it is generated (the answer-tokens topic).")
final class TailCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Mixin
    RegistryOptions registry;
    @Option(names = "--from-beginning", description = "Start at the topic's beginning instead of its end.")
    boolean fromBeginning;
    @Option(names = "--max", defaultValue = "0", description = "Stop after this many posts, or with --tokens this "
            + "many final answers (0 = follow forever).")
    int max;
    @Option(names = "--json", description = "One JSON object per post: post_id, source, answers[...]; with --tokens, "
            + "one per delta: task_id, stream_id, seq, delta, text (so far), final, restarted, gap, ...")
    boolean json;
    @Option(names = "--label", paramLabel = "LABEL", description = "Only posts that carry this zero-shot label "
            + "(an image of the post scored above the label's threshold; docs/labels.md). Reads captioned-posts, so "
            + "it works whatever topic the topology routes the label to.")
    String label;
    @Option(names = "--tokens", description = "Follow the token previews (best-effort, seen before the answers "
            + "commit) and show each answer's text growing; a task whose stream restarts (a retry) starts over.")
    boolean tokens;

    @Override
    public Integer call() {
        if (tokens) {
            return new TokenTail(consumerProperties(), Topics.ANSWER_TOKENS.valueSerde(registry.connect()), max,
                    json).call();
        }
        Map<String, Object> props = consumerProperties();
        AvroSerde<CaptionedPost> serde = Topics.CAPTIONED_POSTS.valueSerde(registry.connect());
        int seen = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.CAPTIONED_POSTS.name()));
            while (max == 0 || seen < max) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    CaptionedPost post = readable(serde, r, "a captioned post");
                    if (post == null || (label != null && !post.getLabels().contains(label))) {
                        continue;
                    }
                    print(post);
                    if (++seen == max) {
                        break;
                    }
                }
            }
        }
        return 0;
    }

    /** A fresh group (nothing committed matters), from the beginning or the end, read_committed. */
    private Map<String, Object> consumerProperties() {
        Map<String, Object> props = kafka.load().consumer();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "llava-tail-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    /**
     * The value in {@code r}, or null (with a line on stderr) for a record that is not {@code what}: a tombstone,
     * or bytes that do not deserialize. An unreachable registry is not the record's fault: it propagates.
     */
    static <T extends SpecificRecord> T readable(AvroSerde<T> serde, ConsumerRecord<String, byte[]> r, String what) {
        String where = r.topic() + "-" + r.partition() + "@" + r.offset();
        try {
            T p = serde.deserialize(r.topic(), r.value());
            if (p == null) {
                System.err.println("skipped " + where + ": a tombstone (no value), not " + what);
            }
            return p;
        } catch (SerdeException e) {
            if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                throw e;
            }
            System.err.println("skipped " + where + ": " + e.getMessage());
            return null;
        }
    }

    private void print(CaptionedPost p) {
        if (json) {
            var n = JsonLines.object().put("post_id", p.getPostId()).put("source", p.getSource());
            var arr = n.putArray("answers");
            for (ImageAnswer a : p.getAnswers()) {
                var o = arr.addObject();
                o.put("image_index", a.getImageIndex()).put("image_sha256", a.getImageSha256())
                        .put("text", a.getText()).put("failed", a.getFailed()).put("error", a.getError())
                        .put("model_id", a.getModelId());
                var labels = o.putArray("labels");
                a.getLabels().forEach(l -> labels.addObject().put("label", l.getLabel()).put("score", l.getScore()));
            }
            p.getLabels().forEach(n.putArray("labels")::add);
            JsonLines.print(n);
            return;
        }
        for (ImageAnswer a : p.getAnswers()) {
            System.out.println(p.getPostId() + " [" + a.getImageIndex() + "] "
                    + (a.getFailed() ? "FAILED: " + a.getError() : a.getText())
                    + (a.getLabels().isEmpty() ? "" : "  " + a.getLabels().stream()
                    .map(l -> String.format("#%s %.2f", l.getLabel(), l.getScore())).toList()));
        }
    }
}
