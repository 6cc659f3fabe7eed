package io.llavastream.model.image;

import static io.llavastream.model.image.Bytes.u16le;
import static io.llavastream.model.image.Bytes.u32be;
import static io.llavastream.model.image.Bytes.u32le;
import static io.llavastream.model.image.Bytes.u8;

/**
 * Walks the container structure of an encoded image (chunks, segments, blocks; never pixel data)
 * to tell whether the data stops before the image is complete.
 *
 * <p>Needed because ImageIO decoders do not reliably fail on truncated input: the JPEG reader
 * only warns and returns an image whose missing part is grey, and the PNG reader returns a
 * complete-looking image when just the end of the stream is missing. Each check answers only what
 * it can tell from structure; data it does not understand is left to the decoder to reject.
 */
final class TruncationCheck {
    private TruncationCheck() {
    }

    /**
     * Returns a message describing where {@code data} is cut off, or {@code null} when it looks
     * complete (or its structure is not one this check understands).
     */
    static String findTruncation(ImageFormat format, byte[] data) {
        switch (format) {
            case PNG:
                return png(data);
            case JPEG:
                return jpeg(data);
            case GIF:
                return gif(data);
            case BMP:
                return bmp(data);
            case WEBP:
                return webp(data);
            default:
                throw new AssertionError(format);
        }
    }

    /** PNG: 8-byte signature, then chunks {length u32 BE, type, data, CRC} up to IEND. */
    private static String png(byte[] d) {
        int pos = 8;
        while (true) {
            if (pos + 8 > d.length) {
                return "PNG data ends at byte " + d.length + " before the IEND chunk (a chunk header needs 8 bytes at "
                        + pos + ")";
            }
            long length = u32be(d, pos);
            String type = new String(d, pos + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            long end = pos + 8L + length + 4L; // header + data + CRC
            if (end > d.length) {
                return "PNG data ends at byte " + d.length + " inside the " + type + " chunk, which needs "
                        + (end - d.length) + " more bytes (expected the stream to run to its IEND chunk)";
            }
            if (type.equals("IEND")) {
                return null;
            }
            pos = (int) end;
        }
    }

    /**
     * JPEG: markers {@code FF xx}; segments carry a 2-byte length; after SOS comes entropy-coded
     * data in which {@code FF} is followed by 00 (stuffing) or a restart marker. Complete when EOI
     * ({@code FF D9}) is reached. Anything after EOI is ignored, as libjpeg does.
     */
    private static String jpeg(byte[] d) {
        int pos = 2; // after SOI
        while (true) {
            if (pos >= d.length) {
                return missingEoi(d);
            }
            if (u8(d, pos) != 0xFF) {
                return null; // not a marker where one is due: corrupt, not truncated; let the decoder judge
            }
            while (pos < d.length && u8(d, pos) == 0xFF) {
                pos++; // fill bytes
            }
            if (pos >= d.length) {
                return missingEoi(d);
            }
            int marker = u8(d, pos++);
            if (marker == 0xD9) {
                return null; // EOI
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                continue; // standalone markers (TEM, RSTn)
            }
            if (pos + 2 > d.length) {
                return missingEoi(d);
            }
            int length = (u8(d, pos) << 8) | u8(d, pos + 1);
            if (length < 2) {
                return null; // corrupt
            }
            pos += length;
            if (pos > d.length) {
                return String.format("JPEG data ends at byte %d inside a marker FF%02X segment that needs %d more bytes"
                        + " (expected the stream to run to its EOI marker FFD9)", d.length, marker, pos - d.length);
            }
            if (marker == 0xDA) {
                pos = JpegSegments.entropyCodedDataEnd(d, pos);
            }
        }
    }

    private static String missingEoi(byte[] d) {
        return "JPEG data ends at byte " + d.length + " without its EOI marker FFD9 (the image data is cut off)";
    }

    /** GIF: header, logical screen descriptor, colour table, then blocks up to the end of frame 0. */
    private static String gif(byte[] d) {
        int pos = 13;
        if (pos > d.length) {
            return gifCut(d, "logical screen descriptor");
        }
        int packed = u8(d, 10);
        if ((packed & 0x80) != 0) {
            pos += 3 * (1 << ((packed & 7) + 1)); // global colour table
        }
        while (true) {
            if (pos >= d.length) {
                return gifCut(d, "block list before the first image");
            }
            int introducer = u8(d, pos++);
            if (introducer == 0x21) { // extension: label, then data sub-blocks
                pos = skipSubBlocks(d, pos + 1);
                if (pos < 0) {
                    return gifCut(d, "an extension block");
                }
            } else if (introducer == 0x2C) { // image descriptor (9 bytes), local colour table, LZW data
                if (pos + 9 > d.length) {
                    return gifCut(d, "the first image descriptor");
                }
                int imagePacked = u8(d, pos + 8);
                pos += 9;
                if ((imagePacked & 0x80) != 0) {
                    pos += 3 * (1 << ((imagePacked & 7) + 1));
                }
                pos = skipSubBlocks(d, pos + 1); // +1: LZW minimum code size
                return pos < 0 ? gifCut(d, "the first frame's image data") : null;
            } else {
                return null; // trailer before any image, or corrupt: the decoder will reject it
            }
        }
    }

    /** Skips a sequence of sub-blocks ending with a zero-length block; -1 if it runs past the end. */
    private static int skipSubBlocks(byte[] d, int pos) {
        while (pos < d.length) {
            int size = u8(d, pos);
            pos += 1 + size;
            if (size == 0) {
                return pos;
            }
        }
        return -1;
    }

    private static String gifCut(byte[] d, String where) {
        return "GIF data ends at byte " + d.length + " inside " + where + " (expected the whole first frame)";
    }

    /** BMP: header fields give the pixel data offset and, for uncompressed data, its exact size. */
    private static String bmp(byte[] d) {
        if (d.length < 18) {
            return "BMP data ends at byte " + d.length + " inside its 14-byte file header and DIB header size";
        }
        long dataOffset = u32le(d, 10);
        long dibSize = u32le(d, 14);
        if (14 + dibSize > d.length) {
            return "BMP data ends at byte " + d.length + " inside its " + dibSize + "-byte DIB header";
        }
        long width;
        long height;
        int bitsPerPixel;
        long compression = 0;
        long imageSize = 0;
        if (dibSize == 12) { // BITMAPCOREHEADER
            width = u16le(d, 18);
            height = u16le(d, 20);
            bitsPerPixel = u16le(d, 24);
        } else if (dibSize >= 40) {
            width = Math.abs((int) u32le(d, 18));
            height = Math.abs((int) u32le(d, 22));
            bitsPerPixel = u16le(d, 28);
            compression = u32le(d, 30);
            imageSize = u32le(d, 34);
        } else {
            return null;
        }
        long pixelBytes;
        if (compression == 0 || compression == 3 || compression == 6) { // BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS
            long stride = ((width * bitsPerPixel + 31) / 32) * 4;
            pixelBytes = stride * height;
        } else if ((compression == 1 || compression == 2) && imageSize > 0) { // RLE8/RLE4 with a stated size
            pixelBytes = imageSize;
        } else {
            return null; // embedded JPEG/PNG or unknown size: leave to the decoder
        }
        long needed = dataOffset + pixelBytes;
        if (needed > d.length) {
            return "BMP data ends at byte " + d.length + " but its header places " + pixelBytes
                    + " bytes of pixel data at offset " + dataOffset + " (expected " + needed + " bytes)";
        }
        return null;
    }

    /** WebP: a RIFF container whose header states the size of everything that follows. */
    private static String webp(byte[] d) {
        long needed = 8 + u32le(d, 4);
        if (needed > d.length) {
            return "WebP data ends at byte " + d.length + " but its RIFF header declares " + needed + " bytes";
        }
        return null;
    }
}
