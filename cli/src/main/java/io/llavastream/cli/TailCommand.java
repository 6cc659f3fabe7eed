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
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tail}: follows the captioned posts (read_committed) and prints every image's caption; a record that is not
 * a captioned post is skipped with a line on stderr.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Follow captioned posts as they complete (reads the captioned-posts topic, read_committed).")
final class TailCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Mixin
    RegistryOptions registry;
    @Option(names = "--from-beginning", description = "Start at the topic's beginning instead of its end.")
    boolean fromBeginning;
    @Option(names = "--max", defaultValue = "0", description = "Stop after this many posts (0 = follow forever).")
    int max;
    @Option(names = "--json", description = "One JSON object per post: post_id, source, answers[...].")
    boolean json;

    @Override
    public Integer call() {
        Map<String, Object> props = kafka.load().consumer();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "llava-tail-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        AvroSerde<CaptionedPost> serde = Topics.CAPTIONED_POSTS.valueSerde(registry.connect());
        int seen = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.CAPTIONED_POSTS.name()));
            while (max == 0 || seen < max) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    CaptionedPost post = readable(serde, r);
                    if (post == null) {
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

    /**
     * The post in {@code r}, or null (with a line on stderr) for a record that is not one: a tombstone, or bytes
     * that do not deserialize. An unreachable registry is not the record's fault: it propagates.
     */
    static CaptionedPost readable(AvroSerde<CaptionedPost> serde, ConsumerRecord<String, byte[]> r) {
        String where = r.topic() + "-" + r.partition() + "@" + r.offset();
        try {
            CaptionedPost p = serde.deserialize(r.topic(), r.value());
            if (p == null) {
                System.err.println("skipped " + where + ": a tombstone (no value), not a captioned post");
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
                arr.addObject().put("image_index", a.getImageIndex()).put("image_sha256", a.getImageSha256())
                        .put("text", a.getText()).put("failed", a.getFailed()).put("error", a.getError())
                        .put("model_id", a.getModelId());
            }
            JsonLines.print(n);
            return;
        }
        for (ImageAnswer a : p.getAnswers()) {
            System.out.println(p.getPostId() + " [" + a.getImageIndex() + "] "
                    + (a.getFailed() ? "FAILED: " + a.getError() : a.getText()));
        }
    }
}
