package io.llavastream.scale;

import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;

/**
 * The serialized size (Avro value, Confluent wire format) of each record one post puts on the wire in the
 * simulation, and what that makes per post: produced (every record written) and consumed (every record a stage or
 * the answer reader reads; the vision cache write is not read back in the simulation).
 *
 * @param visionRequest  the image task vision reads
 * @param visionFeatures vision's cache write (Zv)
 * @param mergeRequest   vision's output to merge (Zv again, with the task)
 * @param decodeRequest  merge's output to decode (Hv)
 * @param answer         decode's answer
 */
public record HopBytes(int visionRequest, int visionFeatures, int mergeRequest, int decodeRequest, int answer) {

    /** Sizes of the records {@code payloads} makes, answers of {@code answerTokens} tokens. */
    static HopBytes measure(ScalePayloads payloads, SchemaRegistry registry, int answerTokens) {
        ImageTask t = payloads.imageTask("scale-size-0-0", 0, Instant.EPOCH);
        VisionFeatures f = payloads.visionFeatures(t.getTask(), 0);
        MergeRequest m = payloads.mergeRequest(t.getTask(), f);
        DecodeRequest d = payloads.decodeRequest(m, 0);
        return new HopBytes(
                serialized(Topics.BENCH_SCALE_VISION_REQUESTS, registry, t),
                serialized(Topics.BENCH_SCALE_VISION_FEATURES, registry, f),
                serialized(Topics.BENCH_SCALE_MERGE_REQUESTS, registry, m),
                serialized(Topics.BENCH_SCALE_DECODE_REQUESTS, registry, d),
                serialized(Topics.BENCH_SCALE_ANSWERS, registry,
                        payloads.answer(d, answerTokens, 0, 0, Instant.EPOCH)));
    }

    /** Bytes written to the broker per post (values only). */
    public long producedPerPost() {
        return (long) visionRequest + visionFeatures + mergeRequest + decodeRequest + answer;
    }

    /** Bytes read from the broker per post (values only). */
    public long consumedPerPost() {
        return (long) visionRequest + mergeRequest + decodeRequest + answer;
    }

    private static <V extends SpecificRecord> int serialized(Topic<V> topic, SchemaRegistry registry, V value) {
        return topic.valueSerde(registry).serialize(topic.name(), value).length;
    }
}
