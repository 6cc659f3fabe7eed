package io.llavastream.rules;

import io.llavastream.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;

/**
 * Builds every {@link DeadLetter}, whichever process writes it, so that a dead letter always fits on the
 * dead-letters topic. A dead letter that copied a record near the 16 MiB record limit would be refused by the
 * producer, and the stage would abort and retry that record forever.
 *
 * <p>The rule: while the original key and value together take at most {@link #MAX_ORIGINAL_BYTES}, both are kept
 * whole. Beyond that, each of them longer than {@link #PREFIX_BYTES} keeps only its first {@link #PREFIX_BYTES}
 * bytes, and its {@code *_truncated} flag is set. {@code key_size} and {@code value_size} always give the original
 * lengths, and topic, partition and offset find the whole record. Error messages longer than
 * {@link #MAX_MESSAGE_CHARS} are cut too. The encoded dead letter is then below {@link #MAX_DEAD_LETTER_BYTES}.
 */
public final class DeadLetterRecords {
    /**
     * The most one encoded dead letter takes, in bytes. It is 1/16 of the topics' 16 MiB record limit, so a dead
     * letter publishes in the same producer request and transaction as the stage's other output. Reading the
     * dead-letters topic also stays cheap.
     */
    public static final int MAX_DEAD_LETTER_BYTES = 1024 * 1024;
    /** Room for everything but the key and value: topic, reason, message, stage, numbers, wire header. */
    static final int METADATA_BYTES = 64 * 1024;
    /** Key plus value bytes that are copied whole. */
    public static final int MAX_ORIGINAL_BYTES = MAX_DEAD_LETTER_BYTES - METADATA_BYTES;
    /** The prefix kept of a key or value that is cut: enough to see what the record was (its Avro header, ids). */
    public static final int PREFIX_BYTES = 64 * 1024;
    /** The longest error message kept, in characters (UTF-8: at most 12 KiB). */
    public static final int MAX_MESSAGE_CHARS = 4096;
    /** The longest error type and stage kept, in characters; the pipeline's own are under 30. */
    static final int MAX_NAME_CHARS = 128;

    private DeadLetterRecords() {
    }

    /** A dead letter with a {@link DeadLetterReason} as its error type. */
    public static DeadLetter of(String stage, String topic, int partition, long offset, byte[] key, byte[] value,
                                DeadLetterReason reason, String message, Instant failedAt) {
        return of(stage, topic, partition, offset, key, value, reason.name(), message, failedAt);
    }

    /**
     * A dead letter for the record at {@code topic}/{@code partition}/{@code offset} (null topic: "", for a
     * failure outside a record, with partition and offset -1).
     *
     * @param key       the original key bytes as read, or null
     * @param value     the original value bytes as read, or null
     * @param errorType the reason; the pipeline's are {@link DeadLetterReason} names
     * @param message   what was wrong, naming the bad value; null: the error type
     */
    public static DeadLetter of(String stage, String topic, int partition, long offset, byte[] key, byte[] value,
                                String errorType, String message, Instant failedAt) {
        long original = length(key) + length(value);
        boolean cut = original > MAX_ORIGINAL_BYTES;
        boolean keyCut = cut && length(key) > PREFIX_BYTES;
        boolean valueCut = cut && length(value) > PREFIX_BYTES;
        return DeadLetter.newBuilder()
                .setTopic(topic == null ? "" : topic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(copy(key, keyCut))
                .setKeySize(key == null ? -1 : key.length)
                .setKeyTruncated(keyCut)
                .setValue(copy(value, valueCut))
                .setValueSize(value == null ? -1 : value.length)
                .setValueTruncated(valueCut)
                .setErrorType(shorten(errorType, MAX_NAME_CHARS))
                .setErrorMessage(shorten(message == null ? errorType : message, MAX_MESSAGE_CHARS))
                .setStage(shorten(stage, MAX_NAME_CHARS))
                .setFailedAt(failedAt)
                .build();
    }

    private static long length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    /** A copy, so a caller's later reuse of its array cannot change the dead letter. */
    private static ByteBuffer copy(byte[] bytes, boolean prefixOnly) {
        return bytes == null ? null : ByteBuffer.wrap(Arrays.copyOf(bytes, prefixOnly ? PREFIX_BYTES : bytes.length));
    }

    /** {@code text}, or its first characters and "... (N characters)" when longer than {@code max}. */
    static String shorten(String text, int max) {
        if (text == null) {
            return "";
        }
        if (text.length() <= max) {
            return text;
        }
        String suffix = "... (" + text.length() + " characters)";
        int end = max - suffix.length();
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // do not split a surrogate pair
        }
        return text.substring(0, end) + suffix;
    }
}
