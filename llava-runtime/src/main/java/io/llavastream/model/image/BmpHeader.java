package io.llavastream.model.image;

import static io.llavastream.model.image.Bytes.u16le;
import static io.llavastream.model.image.Bytes.u32le;

import io.llavastream.model.image.InvalidImageException.Reason;

/**
 * Checks a BMP header before anything else reads it.
 *
 * <ul>
 *   <li>Size: a BMP declaring a huge uncompressed size is also too short for it, and "too many pixels" is the
 *       better answer than "truncated".
 *   <li>Compression 4 and 5 (an embedded JPEG or PNG) are refused: the readers hand the embedded image to ImageIO
 *       as it is, metadata and all, past every check here (a BI_PNG BMP carrying a zTXt bomb made the reader
 *       allocate 200 MB, measured once, 2026-12-01). Pillow does not decode them either.
 * </ul>
 */
final class BmpHeader {
    private BmpHeader() {
    }

    /**
     * Checks the header's width and height (absolute values: a negative height means top-down rows) and its
     * compression.
     */
    static void check(byte[] bmp, PixelLimit limit) {
        if (bmp.length < 26) {
            return; // the truncation check reports it
        }
        long dibSize = u32le(bmp, 14);
        if (dibSize == 12) { // BITMAPCOREHEADER: 16-bit sizes
            limit.check("image", u16le(bmp, 18), u16le(bmp, 20));
        } else if (dibSize >= 40) {
            limit.check("image", Math.abs((long) (int) u32le(bmp, 18)), Math.abs((long) (int) u32le(bmp, 22)));
            long compression = bmp.length >= 34 ? u32le(bmp, 30) : 0;
            if (compression == 4 || compression == 5) {
                throw new InvalidImageException(Reason.UNSUPPORTED_FORMAT, "BMP with an embedded "
                        + (compression == 4 ? "JPEG" : "PNG") + " (compression " + compression + ") is not supported;"
                        + " expected uncompressed, RLE or bit-field pixel data");
            }
        }
    }
}
