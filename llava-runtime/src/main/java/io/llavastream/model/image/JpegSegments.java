package io.llavastream.model.image;

import static io.llavastream.model.image.Bytes.u16be;
import static io.llavastream.model.image.Bytes.u8;

import io.llavastream.model.image.InvalidImageException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Re-writes a JPEG with only the segments that make its pixels, checks the frame size against the pixel limit,
 * and limits the number of scans.
 *
 * <p>Dropped unread: COM, and every APPn but a JFIF APP0 and an Adobe APP14 (which say how the components map to
 * colours). That is EXIF, XMP, Photoshop data, thumbnails, and ICC profiles: a profile may span 255 APP2 segments
 * (16 MiB) that TwelveMonkeys would assemble and hand to the colour management system, and Pillow ignores it
 * anyway (samples are taken as stored, see {@link RgbImages}). 300 maximal APP1 segments made the reader
 * allocate four times their 20 MB.
 *
 * <p>Scans: for a JPEG of several scans the JDK's reader (which TwelveMonkeys delegates to) runs libjpeg in
 * buffered-image mode and outputs the whole image, colour-converted and copied to Java, after every scan, so each
 * scan costs a full decode; and a scan may take a few bytes (2,000 scans of a 1024x1024 image: 84 KB that took
 * 10 s and 6 GB of allocations). More than {@link ImageDecoder#MAX_JPEG_SCANS} scans are refused. (Asking the
 * reader for one output pass after the last scan is no way out: libjpeg then decides on block smoothing before
 * the scans are read, and the pixels no longer equal libjpeg-turbo's, that is Pillow's.)
 *
 * <p>Figures measured once, 2026-12-01 (JDK 17.0.15, TwelveMonkeys 3.12.0), with the reader as it was used before.
 *
 * <p>Expects a structure that {@link TruncationCheck} found complete; bytes between segments that are not a
 * marker are skipped, as libjpeg does (with a warning).
 */
final class JpegSegments {
    private JpegSegments() {
    }

    /** The re-written JPEG: its pixel segments, in order. */
    static byte[] pixelSegmentsOnly(byte[] jpeg, PixelLimit limit) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(jpeg.length);
        out.write(0xFF);
        out.write(0xD8);
        int pos = 2;
        int scans = 0;
        while (pos < jpeg.length) {
            if (u8(jpeg, pos) != 0xFF) {
                pos++;
                continue;
            }
            while (pos < jpeg.length && u8(jpeg, pos) == 0xFF) {
                pos++; // fill bytes
            }
            if (pos >= jpeg.length) {
                break;
            }
            int marker = u8(jpeg, pos++);
            if (marker == 0x00) {
                continue; // a stuffed FF outside entropy-coded data: not a marker
            }
            if (marker == 0xD9 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                out.write(0xFF);
                out.write(marker); // EOI, TEM, RSTn: no length
                if (marker == 0xD9) {
                    break;
                }
                continue;
            }
            int end = segmentEnd(jpeg, pos, marker);
            if (isStartOfFrame(marker) && end - pos >= 7) {
                limit.check("image", u16be(jpeg, pos + 5), u16be(jpeg, pos + 3));
            }
            if (marker == 0xDA && ++scans > ImageDecoder.MAX_JPEG_SCANS) {
                throw new InvalidImageException(Reason.TOO_COMPLEX, String.format(Locale.ROOT,
                        "JPEG has more than %d scans (scan %d starts at byte %d); expected at most %d: each scan"
                                + " costs a full decode of the image", ImageDecoder.MAX_JPEG_SCANS, scans,
                        pos - 2, ImageDecoder.MAX_JPEG_SCANS));
            }
            if (keeps(jpeg, marker, pos + 2, end)) {
                out.write(0xFF);
                out.write(marker);
                out.write(jpeg, pos, end - pos);
            }
            pos = end;
            if (marker == 0xDA) {
                int dataEnd = entropyCodedDataEnd(jpeg, pos);
                out.write(jpeg, pos, dataEnd - pos);
                pos = dataEnd;
            }
        }
        return out.toByteArray();
    }

    /** The offset just past the segment whose length field is at {@code pos}. */
    private static int segmentEnd(byte[] jpeg, int pos, int marker) {
        int length = pos + 2 <= jpeg.length ? u16be(jpeg, pos) : -1;
        if (length < 2 || pos + length > jpeg.length) {
            throw new InvalidImageException(Reason.NOT_AN_IMAGE, String.format(Locale.ROOT,
                    "JPEG marker FF%02X at byte %d has a segment length of %d; expected 2 to %d (the bytes left)",
                    marker, pos - 2, length, jpeg.length - pos));
        }
        return pos + length;
    }

    /** SOF0-3, 5-7, 9-11, 13-15 (C4 is DHT, C8 JPG, CC DAC). */
    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static boolean keeps(byte[] jpeg, int marker, int payload, int end) {
        if (marker == 0xFE) {
            return false; // COM
        }
        if (marker == 0xE0) {
            return startsWith(jpeg, payload, end, "JFIF\0");
        }
        if (marker == 0xEE) {
            return startsWith(jpeg, payload, end, "Adobe");
        }
        return marker < 0xE1 || marker > 0xEF;
    }

    private static boolean startsWith(byte[] d, int from, int end, String ascii) {
        byte[] expected = ascii.getBytes(StandardCharsets.ISO_8859_1);
        if (end - from < expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (d[from + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The offset of the marker that ends the entropy-coded data starting at {@code pos} (an FF not followed by a
     * stuffed 00, a fill FF or a restart marker), or {@code d.length}.
     */
    static int entropyCodedDataEnd(byte[] d, int pos) {
        while (pos + 1 < d.length) {
            if (u8(d, pos) == 0xFF) {
                int next = u8(d, pos + 1);
                if (next != 0x00 && !(next >= 0xD0 && next <= 0xD7) && next != 0xFF) {
                    return pos;
                }
            }
            pos++;
        }
        return d.length;
    }
}
