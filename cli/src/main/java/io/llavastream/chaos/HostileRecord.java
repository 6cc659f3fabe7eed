package io.llavastream.chaos;

/**
 * One hostile record of the corpus: where it goes, its exact key and value bytes (either may be null), and what the
 * pipeline must do with it.
 *
 * @param name     unique, "&lt;topic short name&gt;/&lt;kind&gt;", e.g. "posts/images-count-bomb"
 * @param topic    the topic it is written to
 * @param postId   the post id inside it, when it is a post (or a task of one) whose dead letter may come from a
 *                 later stage, keyed by the post's task id "&lt;post id&gt;/&lt;index&gt;"; else null
 * @param what     what is wrong with it, for people
 */
public record HostileRecord(String name, String topic, byte[] key, byte[] value, String postId,
                            Expectation expected, String what) {
    /** Bytes on the wire, key and value. */
    public long size() {
        return (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
    }
}
