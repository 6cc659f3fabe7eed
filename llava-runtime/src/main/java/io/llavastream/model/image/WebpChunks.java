package io.llavastream.model.image;

import static io.llavastream.model.image.Bytes.u24le;
import static io.llavastream.model.image.Bytes.u32le;
import static io.llavastream.model.image.Bytes.u8;

import io.llavastream.model.image.InvalidImageException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Checks every size a WebP declares, and clears the flags that would make TwelveMonkeys read its metadata.
 *
 * <ul>
 *   <li>Sizes: the VP8X canvas, the first animation frame (ANMF), and the VP8 or VP8L bitstream that holds the
 *       pixels must each be within the pixel limit, and the bitstream must be exactly the canvas (or frame) size,
 *       as libwebp requires. TwelveMonkeys allocates the canvas, then lets the VP8 decoder allocate macroblocks
 *       for the size in its own header: a 1x1 canvas over a bitstream declaring 16383x16383 made it allocate
 *       4 GB.
 *   <li>Metadata: the ICC, EXIF and XMP flags of VP8X are cleared in a copy, so the reader never parses an ICCP
 *       chunk (a colour profile from the web, handed to the colour management system) and never converts
 *       colours (Pillow does not either); it skips the chunks themselves without reading them.
 * </ul>
 *
 * <p>Figures measured once, 2026-12-01 (JDK 17.0.15, TwelveMonkeys 3.12.0), with the reader as it was used before.
 *
 * <p>Expects a RIFF size that {@link TruncationCheck} found within the data.
 */
final class WebpChunks {
    private static final int VP8X_METADATA_FLAGS = 0x20 | 0x08 | 0x04; // ICC, EXIF, XMP
    private static final int VP8X_ANIMATION_FLAG = 0x02;

    private WebpChunks() {
    }

    static byte[] checked(byte[] webp, PixelLimit limit) {
        int end = (int) Math.min(webp.length, 8 + u32le(webp, 4));
        Chunk first = Chunk.at(webp, 12, end);
        if (first == null) {
            throw notAnImage("WebP has no chunk after its 12-byte RIFF header");
        }
        switch (first.fourcc) {
            case "VP8 ":
            case "VP8L":
                int[] size = bitstreamSize(webp, first);
                limit.check("image", size[0], size[1]);
                return webp;
            case "VP8X":
                return extended(webp, first, end, limit);
            default:
                throw notAnImage("WebP's first chunk is '" + first.fourcc + "'; expected VP8, VP8L or VP8X");
        }
    }

    private static byte[] extended(byte[] webp, Chunk vp8x, int end, PixelLimit limit) {
        if (vp8x.size < 10) {
            throw notAnImage("WebP VP8X chunk has " + vp8x.size + " bytes; expected 10");
        }
        int flags = u8(webp, vp8x.data);
        long canvasW = 1L + u24le(webp, vp8x.data + 4);
        long canvasH = 1L + u24le(webp, vp8x.data + 7);
        limit.check("image", canvasW, canvasH);
        boolean animated = (flags & VP8X_ANIMATION_FLAG) != 0;
        for (Chunk c = Chunk.at(webp, vp8x.next, end); c != null; c = Chunk.at(webp, c.next, end)) {
            if (animated && c.fourcc.equals("ANMF")) {
                if (c.size < 16) {
                    throw notAnImage("WebP ANMF chunk has " + c.size + " bytes; expected at least 16");
                }
                long frameW = 1L + u24le(webp, c.data + 6);
                long frameH = 1L + u24le(webp, c.data + 9);
                limit.check("WebP animation frame", frameW, frameH);
                checkBitstream(webp, c.data + 16, (int) (c.data + c.size), frameW, frameH, "frame", limit);
                break;
            }
            if (!animated && (c.fourcc.equals("VP8 ") || c.fourcc.equals("VP8L"))) {
                checkBitstream(webp, c.offset, end, canvasW, canvasH, "canvas", limit);
                break;
            }
        }
        if ((flags & VP8X_METADATA_FLAGS) == 0) {
            return webp;
        }
        byte[] copy = webp.clone();
        copy[vp8x.data] = (byte) (flags & ~VP8X_METADATA_FLAGS);
        return copy;
    }

    /** The first VP8/VP8L chunk in {@code [from, end)} must declare {@code w x h}, the size that holds it. */
    private static void checkBitstream(byte[] webp, int from, int end, long w, long h, String holder, PixelLimit limit) {
        for (Chunk c = Chunk.at(webp, from, end); c != null; c = Chunk.at(webp, c.next, end)) {
            if (c.fourcc.equals("VP8 ") || c.fourcc.equals("VP8L")) {
                int[] size = bitstreamSize(webp, c);
                limit.check("WebP " + c.fourcc.strip() + " bitstream", size[0], size[1]);
                if (size[0] != w || size[1] != h) {
                    throw notAnImage(String.format(Locale.ROOT, "WebP %s bitstream is %dx%d but its %s is %dx%d;"
                            + " expected the same size", c.fourcc.strip(), size[0], size[1], holder, w, h));
                }
                return;
            }
        }
    }

    /** {width, height} from a VP8 key frame header or a VP8L header. */
    private static int[] bitstreamSize(byte[] webp, Chunk c) {
        int d = c.data;
        if (c.fourcc.equals("VP8L")) {
            if (c.size < 5 || u8(webp, d) != 0x2F) {
                throw notAnImage("WebP VP8L bitstream does not start with its signature 0x2f");
            }
            long bits = u32le(webp, d + 1);
            return new int[] {1 + (int) (bits & 0x3FFF), 1 + (int) ((bits >> 14) & 0x3FFF)};
        }
        if (c.size < 10 || (u8(webp, d) & 1) != 0 || u8(webp, d + 3) != 0x9D || u8(webp, d + 4) != 0x01
                || u8(webp, d + 5) != 0x2A) {
            throw notAnImage("WebP VP8 bitstream does not start with a key frame header (start code 9d 01 2a)");
        }
        return new int[] {Bytes.u16le(webp, d + 6) & 0x3FFF, Bytes.u16le(webp, d + 8) & 0x3FFF};
    }

    private static InvalidImageException notAnImage(String message) {
        return new InvalidImageException(Reason.NOT_AN_IMAGE, message);
    }

    /** A RIFF chunk: fourcc and size at {@code offset}, data after, padded to an even length. */
    private static final class Chunk {
        final String fourcc;
        final int offset;
        final int data;
        final long size;
        final int next;

        private Chunk(String fourcc, int offset, long size) {
            this.fourcc = fourcc;
            this.offset = offset;
            this.data = offset + 8;
            this.size = size;
            this.next = (int) (data + size + (size & 1));
        }

        /** The chunk at {@code offset}, or null when no complete chunk header fits before {@code end}. */
        static Chunk at(byte[] d, int offset, int end) {
            if (offset < 0 || offset + 8 > end) {
                return null;
            }
            long size = u32le(d, offset + 4);
            if (offset + 8L + size > end) {
                throw notAnImage(String.format(Locale.ROOT, "WebP chunk '%s' at byte %d declares %d bytes, past the"
                        + " end of its RIFF container at byte %d", new String(d, offset, 4, StandardCharsets.ISO_8859_1),
                        offset, size, end));
            }
            return new Chunk(new String(d, offset, 4, StandardCharsets.ISO_8859_1), offset, size);
        }
    }
}
