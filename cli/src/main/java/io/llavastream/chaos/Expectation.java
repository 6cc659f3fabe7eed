package io.llavastream.chaos;

import io.llavastream.rules.DeadLetterReason;

/**
 * What a hostile record must lead to.
 *
 * @param outcome what must happen
 * @param reason  the dead letter's error type, for the outcomes that have one
 * @param by      which process must handle it: topology, vision, merge, decode, or the readers (tail, export,
 *                search) of a topic no pipeline process reads
 */
public record Expectation(Outcome outcome, DeadLetterReason reason, String by) {
    /** The kinds of outcome. */
    public enum Outcome {
        /** A dead letter with {@link #reason} for this record (or for its post's task). */
        DEAD_LETTER,
        /**
         * A dead letter with {@link #reason}, or the post captioned as usual: for an image bomb whose pixels are a
         * valid image, a decoder may refuse the bomb or never read the part that explodes. Either way nothing may
         * run out of memory.
         */
        DEAD_LETTER_OR_CAPTIONED,
        /** Nothing refused: the post is captioned as any other. */
        CAPTIONED,
        /** Legal and without effect on the pipeline, e.g. a tombstone on a compacted topic (a delete). */
        IGNORED,
        /**
         * On a topic that no pipeline process reads: {@code export} and {@code search} skip it, count it and go on
         * (no dead letter: readers do not write).
         */
        SKIPPED_BY_READERS
    }

    public static Expectation deadLetter(DeadLetterReason reason, String by) {
        return new Expectation(Outcome.DEAD_LETTER, reason, by);
    }

    public static Expectation deadLetterOrCaptioned(DeadLetterReason reason, String by) {
        return new Expectation(Outcome.DEAD_LETTER_OR_CAPTIONED, reason, by);
    }

    public static Expectation captioned() {
        return new Expectation(Outcome.CAPTIONED, null, "topology");
    }

    public static Expectation ignored(String by) {
        return new Expectation(Outcome.IGNORED, null, by);
    }

    public static Expectation skippedByReaders(DeadLetterReason reason) {
        return new Expectation(Outcome.SKIPPED_BY_READERS, reason, "readers");
    }

    /** "dead letter NOT_AVRO by decode", "captioned", ... */
    public String describe() {
        return switch (outcome) {
            case DEAD_LETTER -> "dead letter " + reason + " by " + by;
            case DEAD_LETTER_OR_CAPTIONED -> "dead letter " + reason + " by " + by + ", or captioned";
            case CAPTIONED -> "captioned";
            case IGNORED -> "ignored by " + by;
            case SKIPPED_BY_READERS -> "skipped by readers (" + reason + ")";
        };
    }
}
