package io.llavastream.model.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Hostile image payloads, built in code: small files that expand hugely when decoded, or that declare what they do
 * not hold. Each method's Javadoc says what the bytes claim and what they contain. The recipes are plain: PNG chunks
 * with CRCs, zlib streams of zeros from {@link Deflater}, GIF blocks, BMP headers, RIFF chunks and a VP8L bit writer.
 */
final class HostileImages {
    static final int KIB = 1024;
    static final int MIB = 1024 * 1024;
    static final long GIB = 1024L * MIB;

    private HostileImages() {
    }

    // ---------------------------------------------------------------- zlib

    /** A zlib stream (RFC 1950) that inflates to {@code zeros} zero bytes: about 1/1000 of that in size. */
    static byte[] zlibOfZeros(long zeros) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] input = new byte[MIB];
        byte[] buf = new byte[64 * KIB];
        long left = zeros;
        while (left > 0) {
            int n = (int) Math.min(input.length, left);
            deflater.setInput(input, 0, n);
            left -= n;
            while (!deflater.needsInput()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
        }
        deflater.finish();
        while (!deflater.finished()) {
            out.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        return out.toByteArray();
    }

    /** Zlib of raw PNG scanlines: {@code height} rows of filter byte 0 and {@code rowBytes} zero bytes. */
    static byte[] zlibOfBlankRows(int rowBytes, int height) {
        return zlibOfZeros((long) (rowBytes + 1) * height);
    }

    // ---------------------------------------------------------------- PNG

    static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /** One PNG chunk: length, type, data, CRC of type and data. */
    static byte[] chunk(String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(t).put(data).putInt((int) crc.getValue())
                .array();
    }

    static byte[] ihdr(int width, int height, int bitDepth, int colourType) {
        return chunk("IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) bitDepth)
                .put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0).array());
    }

    /** Signature, then the chunks as given (no IEND added). */
    static byte[] png(byte[]... chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        for (byte[] c : chunks) {
            out.writeBytes(c);
        }
        return out.toByteArray();
    }

    static byte[] iend() {
        return chunk("IEND", new byte[0]);
    }

    /** Two grey entries, so that a palette image is valid. */
    static byte[] plte() {
        return chunk("PLTE", new byte[] {0, 0, 0, (byte) 0x80, (byte) 0x80, (byte) 0x80});
    }

    /** A valid {@code w x h} 8-bit PNG of colour type 2 (RGB) or 3 (palette), all pixels 0, with {@code extra} chunks before IDAT. */
    static byte[] blankPng(int w, int h, int colourType, byte[]... extra) {
        int rowBytes = colourType == 3 ? w : 3 * w;
        byte[][] chunks = new byte[extra.length + 4][];
        chunks[0] = ihdr(w, h, 8, colourType);
        chunks[1] = colourType == 3 ? plte() : chunk("gAMA", new byte[] {0, 0, (byte) 0xB1, (byte) 0x8F});
        System.arraycopy(extra, 0, chunks, 2, extra.length);
        chunks[extra.length + 2] = chunk("IDAT", zlibOfBlankRows(rowBytes, h));
        chunks[extra.length + 3] = iend();
        return png(chunks);
    }

    /** zTXt: keyword, NUL, method 0, then {@code zlib} as the text (e.g. {@link #zlibOfZeros} of 1 GiB). */
    static byte[] ztxt(byte[] zlib) {
        return chunk("zTXt", concat(latin1("Comment\0"), new byte[] {0}, zlib));
    }

    /** iTXt with the compression flag set: keyword, flag 1, method 0, empty language and translation, zlib text. */
    static byte[] itxtCompressed(byte[] zlib) {
        return chunk("iTXt", concat(latin1("XML:com.adobe.xmp\0"), new byte[] {1, 0}, latin1("\0\0"), zlib));
    }

    /** iCCP: profile name, NUL, method 0, then {@code zlib} as the compressed profile. */
    static byte[] iccp(byte[] zlib) {
        return chunk("iCCP", concat(latin1("ICC Profile\0"), new byte[] {0}, zlib));
    }

    /** A PNG whose IHDR declares {@code w x h} RGB, with one IDAT that inflates to only 1 KiB. */
    static byte[] pngDeclaring(int w, int h) {
        return png(ihdr(w, h, 8, 2), chunk("IDAT", zlibOfZeros(KIB)), iend());
    }

    /**
     * A {@code w x h} palette PNG whose one IDAT is {@code zlib}: with {@link #zlibOfZeros} of 1 GiB, far more than
     * the {@code (w + 1) * h} bytes its rows need.
     */
    static byte[] pngWithIdat(int w, int h, byte[] zlib) {
        return png(ihdr(w, h, 8, 3), plte(), chunk("IDAT", zlib), iend());
    }

    /** A valid 16x16 PNG with {@code n} empty tEXt chunks and its image data split into {@code n} IDAT chunks. */
    static byte[] pngWithManyChunks(int n) {
        byte[] idat = zlibOfBlankRows(16 * 3, 16);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        out.writeBytes(ihdr(16, 16, 8, 2));
        byte[] text = chunk("tEXt", latin1("k\0v"));
        for (int i = 0; i < n; i++) {
            out.writeBytes(text);
        }
        for (int i = 0; i < n; i++) {
            int from = (int) ((long) idat.length * i / n);
            int to = (int) ((long) idat.length * (i + 1) / n);
            out.writeBytes(chunk("IDAT", Arrays.copyOfRange(idat, from, to)));
        }
        out.writeBytes(iend());
        return out.toByteArray();
    }

    /**
     * An APNG: a 16x16 default image, then {@code frames} more frames, each an fcTL declaring 30000x30000 and an
     * fdAT that inflates to 1 MiB. A PNG decoder that does not play the animation shows the default image.
     */
    static byte[] apng(int frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        out.writeBytes(ihdr(16, 16, 8, 2));
        out.writeBytes(chunk("acTL", ByteBuffer.allocate(8).putInt(frames + 1).putInt(0).array()));
        int seq = 0;
        out.writeBytes(chunk("fcTL", fctl(seq++, 16, 16)));
        out.writeBytes(chunk("IDAT", zlibOfBlankRows(16 * 3, 16)));
        byte[] frameData = zlibOfZeros(MIB);
        for (int i = 0; i < frames; i++) {
            out.writeBytes(chunk("fcTL", fctl(seq++, 30000, 30000)));
            out.writeBytes(chunk("fdAT", concat(ByteBuffer.allocate(4).putInt(seq++).array(), frameData)));
        }
        out.writeBytes(iend());
        return out.toByteArray();
    }

    private static byte[] fctl(int seq, int w, int h) {
        return ByteBuffer.allocate(26).putInt(seq).putInt(w).putInt(h).putInt(0).putInt(0).putShort((short) 1)
                .putShort((short) 10).put((byte) 0).put((byte) 0).array();
    }

    // ---------------------------------------------------------------- JPEG

    /** A baseline JPEG of a grey {@code w x h} image, from the JDK's writer (JFIF, no ICC profile). */
    static byte[] jpeg(int w, int h) {
        return writeJpeg(grey(w, h), false);
    }

    /** A progressive JPEG (the JDK writer's default script: 6 scans for grey, 10 for colour). */
    static byte[] progressiveJpeg(int w, int h) {
        return writeJpeg(TestImages.gradient(w, h), true);
    }

    /** SOI, an SOF0 declaring {@code w x h} with three components, EOI: no tables, no scan. */
    static byte[] jpegDeclaring(int w, int h) {
        return new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xC0, 0, 17, 8, (byte) (h >> 8), (byte) h,
            (byte) (w >> 8), (byte) w, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, (byte) 0xFF, (byte) 0xD9};
    }

    /** {@code jpeg} with {@code count} copies of a marker segment carrying {@code payload}, right after SOI. */
    static byte[] jpegWithSegments(byte[] jpeg, int marker, byte[] payload, int count) {
        byte[] segment = segment(marker, payload);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        for (int i = 0; i < count; i++) {
            out.writeBytes(segment);
        }
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** The largest marker segment payload: 65533 bytes. */
    static byte[] maxSegmentPayload(String prefix) {
        byte[] p = new byte[65533];
        byte[] head = latin1(prefix);
        System.arraycopy(head, 0, p, 0, head.length);
        return p;
    }

    /**
     * {@code jpeg} with an ICC profile split over 255 APP2 segments (the most the chunk count allows): 16 MiB whose
     * header declares a profile of that size, with 100,000 tags.
     */
    static byte[] jpegWithHugeIccProfile(byte[] jpeg) {
        int perSegment = 65533 - 14;
        int total = perSegment * 255;
        ByteBuffer profile = ByteBuffer.allocate(total);
        profile.putInt(total).put(latin1("lcms")).putInt(0x04300000).put(latin1("mntrRGB XYZ "));
        profile.position(36).put(latin1("acsp"));
        profile.position(128).putInt(100_000);
        for (int i = 0; i < 100_000 && profile.position() + 12 <= total; i++) {
            profile.put(latin1("desc")).putInt(132 + 12 * 100_000).putInt(total - 132 - 12 * 100_000);
        }
        byte[] bytes = profile.array();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        for (int i = 0; i < 255; i++) {
            byte[] payload = concat(latin1("ICC_PROFILE\0"), new byte[] {(byte) (i + 1), (byte) 255},
                    Arrays.copyOfRange(bytes, i * perSegment, (i + 1) * perSegment));
            out.writeBytes(segment(0xE2, payload));
        }
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /**
     * A progressive JPEG with {@code extraScans} more AC scans appended before EOI: each redefines AC table 1 with
     * one symbol (an EOB run of 16384 blocks, coded as 15 zero bits) and covers every block of the first component
     * in a few bytes. Every scan makes the decoder visit every block again: CPU grows with scans times blocks.
     */
    static byte[] progressiveJpegWithScans(int w, int h, int extraScans) {
        byte[] base = progressiveJpeg(w, h);
        int eoi = base.length - 2;
        int blocks = ((w + 7) / 8) * ((h + 7) / 8);
        int codes = (blocks + 16383) / 16384;
        byte[] data = new byte[(codes * 15 + 7) / 8];
        byte[] dht = segment(0xC4, new byte[] {0x11, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xE0});
        byte[] sos = segment(0xDA, new byte[] {1, 1, 0x01, 1, 63, 0});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(base, 0, eoi);
        for (int i = 0; i < extraScans; i++) {
            out.writeBytes(dht);
            out.writeBytes(sos);
            out.writeBytes(data);
        }
        out.write(base, eoi, 2);
        return out.toByteArray();
    }

    static byte[] segment(int marker, byte[] payload) {
        return ByteBuffer.allocate(4 + payload.length).put((byte) 0xFF).put((byte) marker)
                .putShort((short) (payload.length + 2)).put(payload).array();
    }

    private static byte[] writeJpeg(BufferedImage image, boolean progressive) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static BufferedImage grey(int w, int h) {
        BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        im.getRaster().setSample(0, 0, 0, 200);
        return im;
    }

    // ---------------------------------------------------------------- GIF

    /** LZW data of a 1x1 image with minimum code size 2: CLEAR (4), 0, EOI (5) at 3 bits each, as sub-blocks. */
    private static final byte[] ONE_PIXEL_LZW = {2, 2, 0x44, 0x01, 0};

    /**
     * A GIF89a whose logical screen is {@code screenW x screenH} and whose one frame is {@code frameW x frameH}
     * at (0, 0), with {@code frames} copies of that frame, and {@code extensions} (complete extension blocks)
     * before the first. The frame's LZW data holds one pixel.
     */
    static byte[] gif(int screenW, int screenH, int frameW, int frameH, int frames, byte[]... extensions) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(latin1("GIF89a"));
        out.writeBytes(le16(screenW));
        out.writeBytes(le16(screenH));
        out.writeBytes(new byte[] {(byte) 0x80, 0, 0}); // global colour table of 2 entries
        out.writeBytes(new byte[] {0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
        for (byte[] e : extensions) {
            out.writeBytes(e);
        }
        for (int i = 0; i < frames; i++) {
            out.write(0x2C);
            out.writeBytes(le16(0));
            out.writeBytes(le16(0));
            out.writeBytes(le16(frameW));
            out.writeBytes(le16(frameH));
            out.write(0);
            out.writeBytes(ONE_PIXEL_LZW);
        }
        out.write(0x3B);
        return out.toByteArray();
    }

    /** An extension block: 0x21, label, {@code payload} as 255-byte sub-blocks, terminator. */
    static byte[] gifExtension(int label, byte[] header, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x21);
        out.write(label);
        if (header != null) {
            out.write(header.length);
            out.writeBytes(header);
        }
        for (int i = 0; i < payload.length; i += 255) {
            int n = Math.min(255, payload.length - i);
            out.write(n);
            out.write(payload, i, n);
        }
        out.write(0);
        return out.toByteArray();
    }

    /** A comment extension of {@code bytes} bytes. */
    static byte[] gifComment(int bytes) {
        return gifExtension(0xFE, null, new byte[bytes]);
    }

    /** An application extension ("XMP DataXMP") of {@code bytes} bytes. */
    static byte[] gifApplication(int bytes) {
        return gifExtension(0xFF, latin1("XMP DataXMP"), new byte[bytes]);
    }

    /**
     * An LZW bomb: the JDK's GIF encoding of a blank {@code srcW x srcH} image (a few KiB), with its logical screen
     * and frame patched to say {@code w x h}. The data decodes to far more pixels than the frame holds.
     */
    static byte[] gifLzwBomb(int srcW, int srcH, int w, int h) {
        BufferedImage blank = new BufferedImage(srcW, srcH, BufferedImage.TYPE_BYTE_BINARY);
        byte[] gif = TestImages.encode(blank, "gif");
        ByteBuffer b = ByteBuffer.wrap(gif).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(6, (short) w).putShort(8, (short) h);
        int pos = 13 + ((gif[10] & 0x80) != 0 ? 3 * (1 << ((gif[10] & 7) + 1)) : 0);
        while (gif[pos] == 0x21) { // skip extensions up to the image descriptor
            pos += 2;
            while (gif[pos] != 0) {
                pos += 1 + (gif[pos] & 0xFF);
            }
            pos++;
        }
        b.putShort(pos + 5, (short) w).putShort(pos + 7, (short) h);
        return gif;
    }

    // ---------------------------------------------------------------- BMP

    /**
     * A BMP with a 40-byte BITMAPINFOHEADER: {@code bpp} bits per pixel ({@code 8} gets a 256-entry grey palette
     * unless {@code coloursUsed} says otherwise), the given compression and pixel data.
     */
    static byte[] bmp(int w, int h, int bpp, int compression, long coloursUsed, byte[] pixels) {
        int paletteEntries = bpp <= 8 ? 256 : 0;
        int offset = 14 + 40 + 4 * paletteEntries;
        ByteBuffer b = ByteBuffer.allocate(offset + pixels.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(offset + pixels.length).putInt(0).putInt(offset);
        b.putInt(40).putInt(w).putInt(h).putShort((short) 1).putShort((short) bpp).putInt(compression)
                .putInt(pixels.length).putInt(2835).putInt(2835).putInt((int) coloursUsed).putInt(0);
        for (int i = 0; i < paletteEntries; i++) {
            b.put((byte) i).put((byte) i).put((byte) i).put((byte) 0);
        }
        b.put(pixels);
        return b.array();
    }

    /** RLE8 data for a 16x16 image that lies: runs far past the row, deltas far past the image, lines past the end. */
    static byte[] rle8Tricks() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < 1000; i++) {
            out.writeBytes(new byte[] {(byte) 255, 1}); // run of 255 pixels in a 16-pixel row
        }
        out.writeBytes(new byte[] {0, 2, (byte) 255, (byte) 255}); // delta 255 right, 255 up
        for (int i = 0; i < 1000; i++) {
            out.writeBytes(new byte[] {0, 0}); // end of line, again and again
        }
        out.writeBytes(new byte[] {0, 1}); // end of bitmap
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- WebP

    /** RIFF "WEBP" around the given chunks (each already with its header and padding). */
    static byte[] webp(byte[]... chunks) {
        byte[] body = concat(chunks);
        return concat(latin1("RIFF"), le32(4 + body.length), latin1("WEBP"), body);
    }

    /** A RIFF chunk: fourcc, little-endian size, data, a pad byte when the size is odd. */
    static byte[] riffChunk(String fourcc, byte[] data) {
        return concat(latin1(fourcc), le32(data.length), data, new byte[data.length & 1]);
    }

    /** VP8X: flags (ICC 0x20, alpha 0x10, EXIF 0x08, XMP 0x04, animation 0x02), canvas {@code w x h}. */
    static byte[] vp8x(int flags, int w, int h) {
        return riffChunk("VP8X", concat(new byte[] {(byte) flags, 0, 0, 0}, le24(w - 1), le24(h - 1)));
    }

    /**
     * A lossless (VP8L) bitstream of a {@code w x h} image of one colour, in 12 bytes for any size: five prefix
     * codes of one symbol each, so that each pixel takes zero bits.
     */
    static byte[] vp8l(int w, int h) {
        BitWriter bits = vp8lHeader(w, h);
        bits.write(0, 1); // no transform
        bits.write(0, 1); // no colour cache
        bits.write(0, 1); // no meta prefix codes
        oneColourCodeGroup(bits);
        return riffChunk("VP8L", bits.toByteArray());
    }

    private static BitWriter vp8lHeader(int w, int h) {
        BitWriter bits = new BitWriter();
        bits.write(0x2F, 8);
        bits.write(w - 1, 14);
        bits.write(h - 1, 14);
        bits.write(0, 1); // alpha hint
        bits.write(0, 3); // version
        return bits;
    }

    /** Green, red, blue, alpha, distance: each a simple code of one 8-bit symbol (grey 0x80, opaque). */
    private static void oneColourCodeGroup(BitWriter bits) {
        for (int code = 0; code < 5; code++) {
            bits.write(1, 1); // simple code
            bits.write(0, 1); // one symbol
            bits.write(1, 1); // 8-bit symbol
            bits.write(code == 4 ? 0 : code == 3 ? 0xFF : 0x80, 8);
        }
    }

    /**
     * A lossy (VP8) key frame header declaring {@code w x h} (up to 16383 each), with a few bytes of partition data.
     */
    static byte[] vp8(int w, int h) {
        byte[] frame = new byte[10 + 32];
        int firstPartitionSize = 32;
        int tag = (firstPartitionSize << 5) | (1 << 4); // key frame (bit 0 = 0), version 0, show frame
        frame[0] = (byte) tag;
        frame[1] = (byte) (tag >> 8);
        frame[2] = (byte) (tag >> 16);
        frame[3] = (byte) 0x9D;
        frame[4] = 0x01;
        frame[5] = 0x2A;
        frame[6] = (byte) w;
        frame[7] = (byte) ((w >> 8) & 0x3F);
        frame[8] = (byte) h;
        frame[9] = (byte) ((h >> 8) & 0x3F);
        return riffChunk("VP8 ", frame);
    }

    /** An ANMF frame at (0, 0) of {@code w x h} holding {@code data} (a VP8L chunk). */
    static byte[] anmf(int w, int h, byte[] data) {
        return riffChunk("ANMF", concat(le24(0), le24(0), le24(w - 1), le24(h - 1), le24(100), new byte[] {0}, data));
    }

    static byte[] anim() {
        return riffChunk("ANIM", new byte[] {0, 0, 0, 0, 0, 0});
    }

    /** An animated WebP with a {@code w x h} canvas and {@code frames} frames of a one-colour VP8L image. */
    static byte[] animatedWebp(int w, int h, int frames) {
        byte[][] chunks = new byte[frames + 2][];
        chunks[0] = vp8x(0x02, w, h);
        chunks[1] = anim();
        byte[] frame = anmf(w, h, vp8l(w, h));
        for (int i = 0; i < frames; i++) {
            chunks[i + 2] = frame;
        }
        return webp(chunks);
    }

    /** LSB-first bit writer, as VP8L packs its bits. */
    static final class BitWriter {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private long acc;
        private int n;

        void write(long value, int bits) {
            for (int i = 0; i < bits; i++) {
                acc |= ((value >>> i) & 1L) << n;
                if (++n == 8) {
                    out.write((int) acc);
                    acc = 0;
                    n = 0;
                }
            }
        }

        byte[] toByteArray() {
            ByteArrayOutputStream copy = new ByteArrayOutputStream();
            copy.writeBytes(out.toByteArray());
            if (n > 0) {
                copy.write((int) acc);
            }
            return copy.toByteArray();
        }
    }

    // ---------------------------------------------------------------- bytes

    static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] le16(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8)};
    }

    static byte[] le24(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16)};
    }

    static byte[] le32(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }
}
