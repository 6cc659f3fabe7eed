package io.llavastream.serde;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The output buffer of one serialization, sized from a hint (the previous record's size): a stream of records of one
 * size, such as a stage's tensors, is then written once into an array of exactly its size and handed out without a
 * copy. A plain {@link ByteArrayOutputStream} starting small copies a 4.7 MB record about five times as it doubles
 * and again in {@code toByteArray()}.
 */
final class SizedOutput extends ByteArrayOutputStream {
    static final int MIN_HINT = 256;

    SizedOutput(int hint) {
        super(Math.max(MIN_HINT, hint));
    }

    /** The bytes written: the buffer itself when they fill it exactly, else a copy of exactly their length. */
    synchronized byte[] bytes() {
        return count == buf.length ? buf : Arrays.copyOf(buf, count);
    }
}
