package io.llavastream.model.image;

/** Unsigned reads from byte arrays, in both byte orders. */
final class Bytes {
    private Bytes() {
    }

    static int u8(byte[] d, int i) {
        return d[i] & 0xFF;
    }

    static int u16le(byte[] d, int i) {
        return (u8(d, i + 1) << 8) | u8(d, i);
    }

    static int u16be(byte[] d, int i) {
        return (u8(d, i) << 8) | u8(d, i + 1);
    }

    static int u24le(byte[] d, int i) {
        return (u8(d, i + 2) << 16) | (u8(d, i + 1) << 8) | u8(d, i);
    }

    static long u32le(byte[] d, int i) {
        return ((long) u8(d, i + 3) << 24) | (u8(d, i + 2) << 16) | (u8(d, i + 1) << 8) | u8(d, i);
    }

    static long u32be(byte[] d, int i) {
        return ((long) u8(d, i) << 24) | (u8(d, i + 1) << 16) | (u8(d, i + 2) << 8) | u8(d, i + 3);
    }
}
