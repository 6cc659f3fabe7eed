package io.llavastream.model.image;

import static io.llavastream.model.image.Bytes.u8;

/**
 * Counts the pixels that GIF LZW data decodes to, the way the JDK's GIF reader decodes it, without building the
 * strings: each dictionary entry is one longer than the entry it extends, so the lengths alone give the count.
 * Cost: one step per code, and it stops as soon as the count passes a limit.
 */
final class LzwLength {
    private static final int MAX_CODES = 4096;

    private LzwLength() {
    }

    /**
     * Pixels decoded from the LZW data at {@code pos} (the minimum code size byte, then sub-blocks), counted until an
     * end code, the end of the data, or the first count above {@code stopAbove}.
     */
    static long decodedPixels(byte[] gif, int pos, long stopAbove) {
        int minCodeSize = u8(gif, pos);
        if (minCodeSize < 1 || minCodeSize > 8) {
            return 0; // the reader refuses it ("Bad code size")
        }
        Bits bits = new Bits(gif, pos + 1);
        int clear = 1 << minCodeSize;
        int end = clear + 1;
        int[] length = new int[MAX_CODES];
        for (int i = 0; i < clear; i++) {
            length[i] = 1;
        }
        int codeSize = minCodeSize + 1;
        int next = clear + 2;
        int previous = -1;
        long pixels = 0;
        while (pixels <= stopAbove) {
            int code = bits.read(codeSize);
            if (code < 0 || code == end) {
                break;
            }
            if (code == clear) {
                codeSize = minCodeSize + 1;
                next = clear + 2;
                previous = -1;
                continue;
            }
            if (previous >= 0 && next < MAX_CODES) {
                length[next] = length[previous] + 1;
                next++;
                if (next == 1 << codeSize && next < MAX_CODES) {
                    codeSize++;
                }
            }
            pixels += length[code];
            previous = code;
        }
        return pixels;
    }

    /** LSB-first bits across GIF sub-blocks. */
    private static final class Bits {
        private final byte[] d;
        private int pos;
        private int blockLeft;
        private int acc;
        private int count;

        Bits(byte[] d, int firstBlock) {
            this.d = d;
            this.pos = firstBlock;
        }

        /** The next {@code n}-bit code, or -1 at the end of the data. */
        int read(int n) {
            while (count < n) {
                int b = nextByte();
                if (b < 0) {
                    return -1;
                }
                acc |= b << count;
                count += 8;
            }
            int code = acc & ((1 << n) - 1);
            acc >>>= n;
            count -= n;
            return code;
        }

        private int nextByte() {
            if (blockLeft == 0) {
                if (pos >= d.length || u8(d, pos) == 0) {
                    return -1;
                }
                blockLeft = u8(d, pos++);
            }
            if (pos >= d.length) {
                return -1;
            }
            blockLeft--;
            return u8(d, pos++);
        }
    }
}
