package io.llavastream.model.image;

import static io.llavastream.model.image.Bytes.u16le;
import static io.llavastream.model.image.Bytes.u8;

import io.llavastream.model.image.InvalidImageException.Reason;
import java.io.ByteArrayOutputStream;
import java.util.Locale;

/**
 * Re-writes a GIF as its first frame alone, after checking the sizes it declares and what its LZW data decodes to.
 *
 * <ul>
 *   <li>The logical screen and the first frame must each be within the pixel limit: Pillow decodes a GIF at its
 *       logical screen size, so a small frame on a huge screen is a huge image there.
 *   <li>Kept: header, logical screen descriptor, global colour table, the last graphic control extension before
 *       the first frame (it carries the transparent index), the frame's descriptor, local colour table and LZW
 *       data, then a trailer. Dropped unread: comment, application and plain-text extensions, and every later
 *       frame. The JDK's reader concatenates each extension's sub-blocks by copying (quadratic: a 10 MB comment
 *       made it allocate 1 TB over two minutes) even when told to ignore metadata.
 *   <li>LZW data: the JDK's reader decodes codes until an end code or the end of the data, long after the frame is
 *       full. Counting what each code would emit (lengths only, no strings) finds data that decodes to more than
 *       {@link #MAX_OVERRUN_PIXELS} pixels past the frame's {@code width x height}: refused as an LZW bomb.
 * </ul>
 *
 * <p>Figures measured once, 2026-12-01 (JDK 17.0.15, TwelveMonkeys 3.12.0), with the reader as it was used before.
 *
 * <p>Expects a structure that {@link TruncationCheck} found complete up to the end of the first frame. Sizes are
 * checked once a frame is found: a GIF without one is corrupt, whatever its header says.
 */
final class GifBlocks {
    /**
     * Pixels that LZW data may decode to beyond its frame before it is refused: slack for encoders that pad, far
     * below what a bomb needs (one 12-bit code can emit 4,096 pixels).
     */
    static final int MAX_OVERRUN_PIXELS = 65_536;

    private GifBlocks() {
    }

    static byte[] firstFrameOnly(byte[] gif, PixelLimit limit) {
        int pos = 13 + colourTableBytes(u8(gif, 10));
        int gce = -1;
        while (pos < gif.length && u8(gif, pos) == 0x21) {
            int label = pos + 1 < gif.length ? u8(gif, pos + 1) : -1;
            int end = subBlocksEnd(gif, pos + 2);
            if (label == 0xF9) {
                gce = pos;
            }
            if (end < 0) {
                return gif; // cannot happen after TruncationCheck; the reader reports it
            }
            pos = end;
        }
        if (pos + 10 > gif.length || u8(gif, pos) != 0x2C) {
            throw new InvalidImageException(Reason.NOT_AN_IMAGE, String.format(Locale.ROOT,
                    "GIF has no image at byte %d, after its header and extensions (found %s); expected an image"
                            + " descriptor (0x2c)", pos, pos < gif.length ? String.format("0x%02x", u8(gif, pos))
                            : "the end of the data"));
        }
        limit.check("GIF logical screen", u16le(gif, 6), u16le(gif, 8));
        int width = u16le(gif, pos + 5);
        int height = u16le(gif, pos + 7);
        limit.check("image", width, height);
        int lzw = pos + 10 + colourTableBytes(u8(gif, pos + 9));
        int end = lzw < gif.length ? subBlocksEnd(gif, lzw + 1) : -1;
        if (end < 0) {
            return gif;
        }
        long decoded = LzwLength.decodedPixels(gif, lzw, (long) width * height + MAX_OVERRUN_PIXELS);
        if (decoded > (long) width * height + MAX_OVERRUN_PIXELS) {
            throw new InvalidImageException(Reason.TOO_COMPLEX, String.format(Locale.ROOT,
                    "GIF frame of %dx%d = %d pixels has LZW data (%d bytes) that decodes to more than %d pixels;"
                            + " expected at most %d more than the frame holds", width, height, (long) width * height,
                    end - lzw, (long) width * height + MAX_OVERRUN_PIXELS, MAX_OVERRUN_PIXELS));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(13 + (end - pos) + 16);
        out.write(gif, 0, 13 + colourTableBytes(u8(gif, 10)));
        if (gce >= 0) {
            out.write(gif, gce, subBlocksEnd(gif, gce + 2) - gce);
        }
        out.write(gif, pos, end - pos);
        out.write(0x3B);
        return out.toByteArray();
    }

    /** Size of the colour table that a packed-fields byte announces (flag 0x80, size 2^(n+1) entries). */
    private static int colourTableBytes(int packed) {
        return (packed & 0x80) != 0 ? 3 * (1 << ((packed & 7) + 1)) : 0;
    }

    /** Skips sub-blocks up to and including the zero-length terminator; -1 if they run past the end. */
    static int subBlocksEnd(byte[] d, int pos) {
        while (pos < d.length) {
            int size = u8(d, pos);
            pos += 1 + size;
            if (size == 0) {
                return pos;
            }
        }
        return -1;
    }
}
