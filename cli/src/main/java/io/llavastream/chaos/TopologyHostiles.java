package io.llavastream.chaos;

import static io.llavastream.chaos.CorpusContext.NEAR_2_31;
import static io.llavastream.chaos.CorpusContext.UNREGISTERED_ID;
import static io.llavastream.chaos.CorpusContext.utf8;
import static io.llavastream.rules.DeadLetterReason.*;

import io.llavastream.pipeline.PngPosts;
import io.llavastream.rules.CacheKey;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.topics.Topics;
import io.llavastream.topology.TopologyNames;
import java.util.ArrayList;
import java.util.List;

/**
 * Hostile records on the other topics a process reads: {@link Topics#ANSWERS} and the topology's own repartition
 * topic (read by the topology), {@link Topics#VISION_FEATURES} (the vision workers' cache), and {@link
 * Topics#IMAGE_EMBEDDINGS} and {@link Topics#CAPTIONED_POSTS}, which only readers (tail, export, search) read.
 */
final class TopologyHostiles {
    private final CorpusContext c;
    private final String applicationId;
    private final List<HostileRecord> out = new ArrayList<>();

    private TopologyHostiles(CorpusContext c, String applicationId) {
        this.c = c;
        this.applicationId = applicationId;
    }

    static List<HostileRecord> build(CorpusContext c, String applicationId) {
        TopologyHostiles t = new TopologyHostiles(c, applicationId);
        t.answers();
        t.visionFeatures();
        t.repartitionTopics();
        t.readerTopics();
        return t.out;
    }

    private void answers() {
        String topic = Topics.ANSWERS.name();
        add(topic, "answers/tombstone", null, deadLetter(NULL_VALUE), "no value");
        add(topic, "answers/not-avro", utf8("done!"), deadLetter(NOT_AVRO), "text instead of Avro");
        add(topic, "answers/token-ids-count-bomb", AvroPrefix.header(c.schemaId(Topics.ANSWERS))
                .record(c.task(c.postId("answers-token-ids-count-bomb"), "0".repeat(64))).string("a caption")
                .length(NEAR_2_31).longValue(7).bytes(), deadLetter(AVRO_LIMIT), "token_ids array count 2^31-16");
        add(topic, "answers/schema-id-of-post", c.encode(Topics.POSTS, PngPosts.of(c.postId("answers-post"), "chaos",
                c.freshPng())), deadLetter(NOT_AVRO), "a valid Post, with the Post schema's id, on answers");
    }

    /**
     * vision-features is the vision workers' cache, read only when a worker restores its partitions: a record it
     * cannot use is skipped there with a warning (the cache misses, the image is encoded again), never
     * dead-lettered, because every restore would read it again. So these are ignored by the running pipeline.
     */
    private void visionFeatures() {
        String topic = Topics.VISION_FEATURES.name();
        String key = CacheKey.of("f".repeat(64), c.model().visionModelId());
        addKeyed(topic, "vision-features/tombstone", key, null, Expectation.ignored("vision"),
                "a tombstone for a cache key: a legal delete on a compacted topic");
        addKeyed(topic, "vision-features/not-avro", key, utf8("not features"), Expectation.ignored("vision"),
                "text instead of Avro (skipped by the cache reader)");
        addKeyed(topic, "vision-features/unknown-schema-id", key, AvroPrefix.header(UNREGISTERED_ID)
                .raw(utf8("anything")).bytes(), Expectation.ignored("vision"), "schema id " + UNREGISTERED_ID
                + ", which the registry does not know (skipped by the cache reader)");
        addKeyed(topic, "vision-features/sha-string-length-bomb", key, AvroPrefix.header(
                c.schemaId(Topics.VISION_FEATURES)).length(NEAR_2_31 - 1).raw(utf8("abc")).bytes(),
                Expectation.ignored("vision"), "image_sha256 string length 2^31-17 (skipped by the cache reader)");
    }

    private void repartitionTopics() {
        for (String name : List.of(TopologyNames.POST_PARTS_BY_POST)) {
            String topic = applicationId + "-" + name + "-repartition";
            add(topic, name + "-repartition/not-avro", utf8("written into an internal topic"),
                    deadLetter(NOT_AVRO), "text instead of Avro on the topology's own repartition topic");
        }
    }

    private void readerTopics() {
        String embeddings = Topics.IMAGE_EMBEDDINGS.name();
        String key = CacheKey.of("e".repeat(64), c.model().visionModelId());
        addKeyed(embeddings, "image-embeddings/tombstone", key, null, Expectation.ignored("search"),
                "a tombstone for an image: a legal delete on a compacted topic (search drops the image)");
        addKeyed(embeddings, "image-embeddings/not-avro", key, utf8("not an embedding"),
                Expectation.skippedByReaders(NOT_AVRO), "text instead of Avro");
        String captioned = Topics.CAPTIONED_POSTS.name();
        add(captioned, "captioned-posts/tombstone", null, Expectation.skippedByReaders(NULL_VALUE), "no value");
        add(captioned, "captioned-posts/not-avro", utf8("# a post, in markdown"),
                Expectation.skippedByReaders(NOT_AVRO), "Markdown instead of Avro");
    }

    private void add(String topic, String name, byte[] value, Expectation expected, String what) {
        addKeyed(topic, name, c.postId(name.replace('/', '-')), value, expected, what);
    }

    private void addKeyed(String topic, String name, String key, byte[] value, Expectation expected, String what) {
        out.add(new HostileRecord(name, topic, utf8(key), value, null, expected, what));
    }

    private static Expectation deadLetter(DeadLetterReason reason) {
        return Expectation.deadLetter(reason, "topology");
    }
}
