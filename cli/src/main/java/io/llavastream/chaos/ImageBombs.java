package io.llavastream.chaos;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Hostile image bytes: decompression bombs in an image's metadata and in its declared size, and images that are
 * simply broken. PNG chunks are length, type, data, CRC-32 of type and data (PNG spec, section 5.3).
 */
final class ImageBombs {
    static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /** Where the first chunk after IHDR starts: signature (8) + IHDR (4 + 4 + 13 + 4). */
    static final int AFTER_IHDR = 33;
    /** GIF89a, a 1x1 image with a 2-colour global table; bytes 6..9 are the logical screen, little-endian. */
    private static final byte[] GIF_1X1 = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, (byte) 0x80, 0, 0,
            (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, ',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 'D', 1, 0, ';'};

    private ImageBombs() {
    }

    /**
     * {@code png} with a zTXt chunk right after IHDR whose compressed text inflates to {@code inflatedBytes} zero
     * bytes (about a thousandth of that on the wire: zeros compress by ~1000:1). The image itself stays valid.
     */
    static byte[] zTxtBomb(byte[] png, long inflatedBytes) {
        requirePng(png);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.writeBytes("Comment".getBytes(StandardCharsets.ISO_8859_1));
        data.write(0);  // keyword terminator
        data.write(0);  // compression method 0: zlib deflate
        data.writeBytes(deflatedZeros(inflatedBytes));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, AFTER_IHDR);
        out.writeBytes(chunk("zTXt", data.toByteArray()));
        out.write(png, AFTER_IHDR, png.length - AFTER_IHDR);
        return out.toByteArray();
    }

    /** A PNG whose header declares {@code width} x {@code height} RGB pixels, with one tiny IDAT and IEND. */
    static byte[] pngDeclaring(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        out.writeBytes(chunk("IHDR", ihdr.array()));
        out.writeBytes(chunk("IDAT", deflatedZeros(64)));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    /** A 1x1 GIF whose logical screen (the canvas Pillow composes frames on) is {@code width} x {@code height}. */
    static byte[] gifWithLogicalScreen(int width, int height) {
        byte[] gif = GIF_1X1.clone();
        gif[6] = (byte) width;
        gif[7] = (byte) (width >>> 8);
        gif[8] = (byte) height;
        gif[9] = (byte) (height >>> 8);
        return gif;
    }

    /** The first half of {@code image}: a truncated file. */
    static byte[] truncated(byte[] image) {
        return Arrays.copyOf(image, image.length / 2);
    }

    /** The PNG signature followed by {@code length} pseudo-random bytes: claims to be a PNG, is not one. */
    static byte[] corruptPng(long seed, int length) {
        byte[] noise = new byte[length];
        new java.util.Random(seed).nextBytes(noise);
        byte[] out = Arrays.copyOf(PNG_SIGNATURE, PNG_SIGNATURE.length + length);
        System.arraycopy(noise, 0, out, PNG_SIGNATURE.length, length);
        return out;
    }

    static byte[] chunk(String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(t).put(data).putInt((int) crc.getValue())
                .array();
    }

    /** A zlib stream of {@code n} zero bytes, compressed as hard as deflate can, without holding them in memory. */
    static byte[] deflatedZeros(long n) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        byte[] zeros = new byte[1 << 20];
        byte[] buf = new byte[1 << 16];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (long left = n; left > 0; left -= zeros.length) {
                deflater.setInput(zeros, 0, (int) Math.min(zeros.length, left));
                while (!deflater.needsInput()) {
                    out.write(buf, 0, deflater.deflate(buf));
                }
            }
            deflater.finish();
            while (!deflater.finished()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
        } finally {
            deflater.end();
        }
        return out.toByteArray();
    }

    private static void requirePng(byte[] png) {
        if (png.length < AFTER_IHDR || !Arrays.equals(png, 0, 8, PNG_SIGNATURE, 0, 8)
                || !new String(png, 12, 4, StandardCharsets.US_ASCII).equals("IHDR")) {
            throw new IllegalArgumentException("expected a PNG starting with its signature and IHDR, got "
                    + png.length + " bytes starting " + Arrays.toString(Arrays.copyOf(png, Math.min(16, png.length))));
        }
    }
}
