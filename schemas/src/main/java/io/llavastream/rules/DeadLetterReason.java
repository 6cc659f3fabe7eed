package io.llavastream.rules;

/**
 * Why a record was dead-lettered: the {@code error_type} of every {@code DeadLetter}, whichever process wrote it.
 * One list, so that an operator can count dead letters by reason across the topology and the workers.
 */
public enum DeadLetterReason {
    /** The record has no value (a tombstone) on a topic that carries no deletes. */
    NULL_VALUE,
    /** The bytes are not in Confluent's Avro wire format, or do not decode as the topic's record. */
    NOT_AVRO,
    /** The wire header names a schema id the registry does not know (answered 404). */
    UNKNOWN_SCHEMA_ID,
    /** Decoding would allocate more than the caps allow: a string, bytes, array or map length bomb. */
    AVRO_LIMIT,
    /** The record is larger than the topic's record limit. */
    RECORD_TOO_LARGE,
    /** A post without images. */
    NO_IMAGES,
    /** A post with more images than {@code max.images.per.post}. */
    TOO_MANY_IMAGES,
    /** An image over {@code max.image.bytes}, or one that declares more pixels than the decoder's limit. */
    IMAGE_TOO_LARGE,
    /** Bytes that are not a decodable image: truncated, unknown format, or a decompression bomb. */
    CORRUPT_IMAGE,
    /** A task whose SHA-256 is not that of its image bytes (caching it would poison the vision cache). */
    IMAGE_HASH_MISMATCH,
    /** A question longer than {@code max.question.chars}. */
    QUESTION_TOO_LONG,
    /** A prompt the model cannot take: no or several {@code <image>} placeholders, or longer than the context. */
    BAD_PROMPT,
    /** A tensor whose bytes disagree with its shape and dtype, or whose shape is not what the stage expects. */
    BAD_TENSOR,
    /** Features from another vision tower than the one this projector belongs to. */
    MODEL_MISMATCH,
    /** A decode request that cannot be decoded (shape or context length). */
    BAD_DECODE_REQUEST,
    /** The stage's model threw on this record alone (isolated by retrying its batch one record at a time). */
    STAGE_ERROR,
    /** The stage's outputs for this record cannot be published (too large, or not serializable). */
    OUTPUT_ERROR,
    /** The same record failed its batch {@code max.record.attempts} times in a row, with backoff in between. */
    REPEATED_FAILURE,
    /** An exception in the topology that no check expected. */
    PROCESSING_ERROR,
    /** An image whose answer did not arrive within {@code post.timeout.ms}; its post completed without it. */
    TIMEOUT
}
