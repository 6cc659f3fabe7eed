package io.llavastream.model.image;

import static io.llavastream.model.image.HostileImages.GIB;
import static io.llavastream.model.image.HostileImages.MIB;
import static io.llavastream.model.image.HostileImages.concat;
import static io.llavastream.model.image.HostileImages.latin1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.llavastream.model.image.InvalidImageException.Reason;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Image bombs of every kind, metadata included: each is refused with a reason and a message naming the value and
 * the limit, or decoded when it is legitimately within the limits, always in bounded time and within the
 * allocation bound that {@link ImageDecoder} documents ({@link ImageDecoder#MAX_BYTES_PER_PIXEL} per pixel of the
 * limit, {@link ImageDecoder#MAX_BYTES_PER_INPUT_BYTE} per input byte, {@link ImageDecoder#MAX_FIXED_BYTES}),
 * measured as the bytes the decoding thread allocates. llava-runtime's pom runs this class alone with
 * {@code -Xmx256m}, so that a bomb that got through would end in an OutOfMemoryError and fail it. The payloads
 * come from {@link HostileImages}.
 */
class ImageBombTest {
    /** 4 megapixels: big enough for real images, small enough that the bound fits a 256 MiB heap. */
    static final long LIMIT = 4_000_000;
    static final Duration TIME_LIMIT = Duration.ofSeconds(10);

    private final ImageDecoder decoder = new ImageDecoder(LIMIT);
    private static byte[] zlibOfOneGib;

    @BeforeAll
    static void warmUpAndBuildTheGibStream() {
        System.out.printf("ImageBombTest: max heap %d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
        // First use of ImageIO scans the plugin registry and loads classes: not part of any decode's cost.
        for (byte[] image : new byte[][] {HostileImages.blankPng(2, 2, 2), HostileImages.jpeg(8, 8),
            HostileImages.progressiveJpeg(8, 8), HostileImages.gif(1, 1, 1, 1, 1), HostileImages.webp(HostileImages.vp8l(1, 1)),
            HostileImages.bmp(2, 2, 8, 0, 0, new byte[8])}) {
            new ImageDecoder(LIMIT).decode(image);
        }
        zlibOfOneGib = HostileImages.zlibOfZeros(GIB);
        assertThat(zlibOfOneGib.length).isLessThan(2 * MIB);
    }

    // ------------------------------------------------------------------ PNG

    @Test
    void pngWhoseZtxtInflatesToOneGibIsDecodedWithoutInflatingIt() {
        for (int colourType : new int[] {2, 3}) { // the JDK reads all metadata of palette images (type 3)
            byte[] png = HostileImages.blankPng(16, 16, colourType, HostileImages.ztxt(zlibOfOneGib));
            assertDecodes(png, 16, 16);
        }
    }

    @Test
    void pngWhoseCompressedItxtInflatesToOneGibIsDecodedWithoutInflatingIt() {
        assertDecodes(HostileImages.blankPng(16, 16, 3, HostileImages.itxtCompressed(zlibOfOneGib)), 16, 16);
    }

    @Test
    void pngWhoseIccpProfileInflatesToOneGibIsDecodedWithoutInflatingIt() {
        assertDecodes(HostileImages.blankPng(16, 16, 3, HostileImages.iccp(zlibOfOneGib)), 16, 16);
    }

    @Test
    void pngDeclaringAHugeSizeWithASmallIdatIsRefusedFromItsHeader() {
        assertRefused(HostileImages.pngDeclaring(100_000, 100_000), Reason.TOO_MANY_PIXELS,
                "image is 100000x100000 = 10000000000 pixels, over the limit of 4000000");
    }

    @Test
    void pngIdatThatInflatesToOneGibIsReadOnlyAsFarAsItsRowsNeed() {
        Outcome o = assertDecodes(HostileImages.pngWithIdat(64, 64, zlibOfOneGib), 64, 64);
        assertThat(o.allocated).isLessThan(8L * MIB);
    }

    @Test
    void pngWhoseLongIdatFillsAnImageAtThePixelLimitIsDecoded() {
        byte[] png = HostileImages.blankPng(2000, 2000, 2); // 12 MB of rows from a 12 KB IDAT
        assertThat(png.length).isLessThan(64 * 1024);
        assertDecodes(png, 2000, 2000);
    }

    @Test
    void pngWithAHundredThousandTextAndIdatChunksIsDecoded() {
        assertDecodes(HostileImages.pngWithManyChunks(100_000), 16, 16);
    }

    @Test
    void apngIsDecodedAsItsDefaultImageWithoutReadingItsFrames() {
        byte[] apng = HostileImages.apng(300); // 300 frames declaring 30000x30000, 1 MiB of rows each
        assertDecodes(apng, 16, 16);
    }

    // ------------------------------------------------------------------ JPEG

    @Test
    void jpegDeclaringAHugeSizeIsRefusedFromItsFrameHeader() {
        assertRefused(HostileImages.jpegDeclaring(60_000, 60_000), Reason.TOO_MANY_PIXELS,
                "image is 60000x60000 = 3600000000 pixels, over the limit of 4000000");
    }

    @Test
    void jpegWithThreeHundredMaximalApp1AndCommentSegmentsIsDecodedWithoutReadingThem() {
        byte[] jpeg = HostileImages.jpeg(64, 64);
        byte[] app1 = HostileImages.jpegWithSegments(jpeg, 0xE1, HostileImages.maxSegmentPayload("Exif\0\0"), 300);
        byte[] com = HostileImages.jpegWithSegments(jpeg, 0xFE, HostileImages.maxSegmentPayload("comment"), 300);
        assertThat(app1.length).isGreaterThan(18 * MIB);
        assertDecodes(app1, 64, 64);
        assertDecodes(com, 64, 64);
    }

    @Test
    void jpegWithASixteenMibIccProfileOverApp2SegmentsIsDecodedWithoutParsingIt() {
        byte[] jpeg = HostileImages.jpegWithHugeIccProfile(HostileImages.jpeg(64, 64));
        assertThat(jpeg.length).isGreaterThan(15 * MIB);
        assertDecodes(jpeg, 64, 64);
    }

    @Test
    void progressiveJpegWithTheMostScansAllowedIsDecodedInBoundedTime() {
        // Each scan costs the JDK's reader a full decode: 32 of them at the pixel limit.
        int scans = scanCount(HostileImages.progressiveJpeg(2000, 2000));
        byte[] jpeg = HostileImages.progressiveJpegWithScans(2000, 2000, ImageDecoder.MAX_JPEG_SCANS - scans);
        assertThat(scanCount(jpeg)).isEqualTo(ImageDecoder.MAX_JPEG_SCANS);
        Outcome o = assertDecodes(jpeg, 2000, 2000);
        System.out.printf("progressive JPEG, 2000x2000, %d scans: %d ms, %.1f MB allocated%n",
                ImageDecoder.MAX_JPEG_SCANS, o.millis, o.allocated / 1e6);
    }

    @Test
    void progressiveJpegWithMoreScansThanTheLimitIsRefusedBeforeDecoding() {
        byte[] jpeg = HostileImages.progressiveJpegWithScans(1024, 1024, 5000);
        InvalidImageException e = assertRefused(jpeg, Reason.TOO_COMPLEX, null);
        assertThat(e).hasMessageStartingWith("JPEG has more than 32 scans (scan 33 starts at byte ")
                .hasMessageEndingWith("expected at most 32: each scan costs a full decode of the image");
    }

    // ------------------------------------------------------------------ GIF

    @Test
    void gifWithAHugeLogicalScreenIsRefusedEvenThoughItsFrameIsSmall() {
        assertRefused(HostileImages.gif(65535, 65535, 1, 1, 1), Reason.TOO_MANY_PIXELS,
                "GIF logical screen is 65535x65535 = 4294836225 pixels, over the limit of 4000000");
    }

    @Test
    void gifWithAHugeLogicalScreenButNoFrameIsNotAnImage() {
        // "GIF89a not really": the header's bytes read as a 28192x29807 screen; without a frame it is corrupt.
        assertRefused(latin1("GIF89a not really"), Reason.NOT_AN_IMAGE,
                "GIF has no image at byte 13, after its header and extensions (found 0x61); expected an image"
                        + " descriptor (0x2c)");
    }

    @Test
    void gifFrameDeclaringAHugeSizeIsRefused() {
        assertRefused(HostileImages.gif(1, 1, 65535, 65535, 1), Reason.TOO_MANY_PIXELS,
                "image is 65535x65535 = 4294836225 pixels, over the limit of 4000000");
    }

    @Test
    void gifWithTwentyThousandFramesIsDecodedAsItsFirstFrame() {
        assertDecodes(HostileImages.gif(1, 1, 1, 1, 20_000), 1, 1);
    }

    @Test
    void gifWithTenMibCommentAndApplicationExtensionsIsDecodedWithoutReadingThem() {
        assertDecodes(HostileImages.gif(1, 1, 1, 1, 1, HostileImages.gifComment(10 * MIB)), 1, 1);
        assertDecodes(HostileImages.gif(1, 1, 1, 1, 1, HostileImages.gifApplication(10 * MIB)), 1, 1);
    }

    @Test
    void imageIoAloneCopiesAGifCommentQuadraticallyWhichIsWhyTheDecoderDropsIt() throws IOException {
        byte[] gif = HostileImages.gif(1, 1, 1, 1, 1, HostileImages.gifComment(256 * 1024));
        long before = allocated();
        assertThat(ImageIO.read(new ByteArrayInputStream(gif))).isNotNull();
        assertThat(allocated() - before).as("ImageIO's allocation for a 256 KiB comment").isGreaterThan(64L * MIB);
        assertThat(decode(gif).allocated).isLessThan(MIB);
    }

    @Test
    void gifLzwDataThatDecodesFarPastItsFrameIsRefusedAsAnLzwBomb() {
        byte[] gif = HostileImages.gifLzwBomb(6000, 6000, 16, 16); // 36 million pixels of codes for a 16x16 frame
        assertRefused(gif, Reason.TOO_COMPLEX, "GIF frame of 16x16 = 256 pixels has LZW data (" + lzwBytes(gif)
                + " bytes) that decodes to more than 65792 pixels; expected at most 65536 more than the frame holds");
    }

    @Test
    void gifWhoseLzwDataFillsALargeFrameIsDecoded() {
        assertDecodes(HostileImages.gifLzwBomb(2000, 2000, 2000, 2000), 2000, 2000);
    }

    // ------------------------------------------------------------------ BMP

    @Test
    void bmpDeclaringAHugeSizeIsRefusedFromItsHeader() {
        assertRefused(HostileImages.bmp(60_000, -60_000, 8, 1, 0, new byte[] {0, 1}), Reason.TOO_MANY_PIXELS,
                "image is 60000x60000 = 3600000000 pixels, over the limit of 4000000");
        assertRefused(HostileImages.bmp(60_000, 60_000, 24, 0, 0, new byte[16]), Reason.TOO_MANY_PIXELS,
                "image is 60000x60000 = 3600000000 pixels, over the limit of 4000000");
    }

    @Test
    void bmpRleDataThatRunsPastItsRowsAndImageIsDecodedWithinItsSize() {
        assertDecodes(HostileImages.bmp(16, 16, 8, 1, 0, HostileImages.rle8Tricks()), 16, 16);
    }

    @Test
    void bmpWithAnAbsurdColourCountIsDecoded() {
        assertDecodes(HostileImages.bmp(16, 16, 8, 0, 0x7FFFFFFFL, new byte[16 * 16]), 16, 16);
    }

    @Test
    void bmpWithAnEmbeddedPngOrJpegIsUnsupported() {
        byte[] pngBomb = HostileImages.blankPng(16, 16, 3, HostileImages.ztxt(HostileImages.zlibOfZeros(64L * MIB)));
        assertRefused(HostileImages.bmp(16, 16, 24, 5, 0, pngBomb), Reason.UNSUPPORTED_FORMAT,
                "BMP with an embedded PNG (compression 5) is not supported; expected uncompressed, RLE or bit-field"
                        + " pixel data");
        assertRefused(HostileImages.bmp(64, 64, 24, 4, 0, HostileImages.jpeg(64, 64)), Reason.UNSUPPORTED_FORMAT,
                "BMP with an embedded JPEG (compression 4) is not supported; expected uncompressed, RLE or bit-field"
                        + " pixel data");
    }

    // ------------------------------------------------------------------ WebP

    @Test
    void webpLosslessBitstreamDeclaringAHugeSizeIsRefused() {
        byte[] webp = HostileImages.webp(HostileImages.vp8l(16_000, 16_000));
        assertThat(webp.length).isLessThan(64);
        assertRefused(webp, Reason.TOO_MANY_PIXELS, "image is 16000x16000 = 256000000 pixels, over the limit of 4000000");
    }

    @Test
    void webpWithAHugeVp8xCanvasIsRefused() {
        byte[] webp = HostileImages.webp(HostileImages.vp8x(0, 1 << 24, 1 << 24), HostileImages.vp8l(1, 1));
        assertRefused(webp, Reason.TOO_MANY_PIXELS,
                "image is 16777216x16777216 = 281474976710656 pixels, over the limit of 4000000");
    }

    @Test
    void webpWhoseVp8BitstreamIsFarLargerThanItsCanvasIsRefused() {
        // TwelveMonkeys would allocate macroblocks for the bitstream's 16383x16383: 4 GB.
        byte[] webp = HostileImages.webp(HostileImages.vp8x(0, 1, 1), HostileImages.vp8(16383, 16383));
        assertRefused(webp, Reason.TOO_MANY_PIXELS,
                "WebP VP8 bitstream is 16383x16383 = 268402689 pixels, over the limit of 4000000");
    }

    @Test
    void webpWhoseBitstreamDisagreesWithItsCanvasIsNotAnImage() {
        byte[] webp = HostileImages.webp(HostileImages.vp8x(0, 16, 16), HostileImages.vp8l(8, 8));
        assertRefused(webp, Reason.NOT_AN_IMAGE,
                "WebP VP8L bitstream is 8x8 but its canvas is 16x16; expected the same size");
    }

    @Test
    void animatedWebpIsDecodedAsItsFirstFrame() {
        assertDecodes(HostileImages.animatedWebp(16, 16, 5000), 16, 16);
    }

    @Test
    void animatedWebpWhoseFirstFrameHoldsAHugeBitstreamIsRefused() {
        byte[] webp = HostileImages.webp(HostileImages.vp8x(0x02, 16, 16), HostileImages.anim(),
                HostileImages.anmf(16, 16, HostileImages.vp8l(16_000, 16_000)));
        assertRefused(webp, Reason.TOO_MANY_PIXELS,
                "WebP VP8L bitstream is 16000x16000 = 256000000 pixels, over the limit of 4000000");
    }

    @Test
    void webpWithATenMibIccpChunkIsDecodedWithoutParsingIt() {
        byte[] webp = HostileImages.webp(HostileImages.vp8x(0x20, 1, 1),
                HostileImages.riffChunk("ICCP", new byte[10 * MIB]), HostileImages.vp8l(1, 1));
        assertDecodes(webp, 1, 1);
    }

    // ------------------------------------------------------------------ any format

    @Test
    void everyPrefixOfAnImageInEveryFormatIsRefusedAsTruncatedOrDecoded() {
        Map<String, byte[]> images = new LinkedHashMap<>();
        images.put("png", HostileImages.blankPng(40, 30, 3));
        images.put("jpeg", HostileImages.jpeg(40, 30));
        images.put("progressive jpeg", HostileImages.progressiveJpeg(40, 30));
        images.put("gif", HostileImages.gifLzwBomb(40, 30, 40, 30));
        images.put("bmp", HostileImages.bmp(40, 30, 8, 0, 0, new byte[40 * 30]));
        images.put("webp lossy", TestImages.resource("images/chelsea_lossy.webp"));
        images.put("webp lossless", TestImages.resource("images/alpha_lossless.webp"));
        for (Map.Entry<String, byte[]> e : images.entrySet()) {
            byte[] full = e.getValue();
            int firstFrameEnd = e.getKey().equals("gif") ? full.length - 1 : full.length; // a GIF may lack its trailer
            for (int n = 1; n < full.length; n += n < 64 ? 1 : Math.max(1, full.length / 97)) {
                byte[] prefix = Arrays.copyOf(full, n);
                Outcome o = decode(prefix);
                if (n >= firstFrameEnd) {
                    assertThat(o.image).as("%s cut to %d of %d bytes", e.getKey(), n, full.length).isNotNull();
                    continue;
                }
                assertThat(o.failure).as("%s cut to %d of %d bytes", e.getKey(), n, full.length)
                        .isInstanceOf(InvalidImageException.class);
                Reason reason = ((InvalidImageException) o.failure).reason();
                assertThat(reason).as("%s cut to %d bytes: %s", e.getKey(), n, o.failure.getMessage())
                        .isIn(n < 16 ? new Reason[] {Reason.TRUNCATED, Reason.NOT_AN_IMAGE} : new Reason[] {Reason.TRUNCATED});
            }
        }
    }

    @Test
    void zeroAndOneByteInputsAreRefused() {
        assertRefused(new byte[0], Reason.EMPTY, "image is empty (0 bytes); expected PNG, JPEG, GIF, BMP or WebP data");
        assertRefused(new byte[] {(byte) 0x89}, Reason.TRUNCATED, "PNG data ends after 1 bytes, inside its 8-byte signature");
        assertRefused(new byte[] {(byte) 0xFF}, Reason.NOT_AN_IMAGE,
                "data is not a recognised image: it starts with bytes [ff] (1 bytes in all); expected PNG, JPEG, GIF, BMP or WebP data");
    }

    @Test
    void tiffAvifAndUnknownSignaturesAreRefusedBeforeAnyReaderSeesThem() {
        assertRefused(TestImages.encode(TestImages.gradient(8, 8), "tif"), Reason.UNSUPPORTED_FORMAT,
                "image format TIFF is not supported; expected PNG, JPEG, GIF, BMP or WebP data");
        byte[] avif = concat(new byte[] {0, 0, 0, 0x1C}, latin1("ftypavif"), new byte[64]);
        assertRefused(avif, Reason.UNSUPPORTED_FORMAT, "image format AVIF is not supported; expected PNG, JPEG, GIF, BMP or WebP data");
        assertRefused(latin1("\u0000\u0001\u0002\u0003 not an image at all"), Reason.NOT_AN_IMAGE, "data is not a recognised"
                + " image: it starts with bytes [00 01 02 03 20 6e 6f 74] (24 bytes in all); expected PNG, JPEG, GIF,"
                + " BMP or WebP data");
    }

    // ------------------------------------------------------------------ helpers

    /** What one decode did: its image or failure, the bytes the thread allocated, the time. */
    record Outcome(BufferedImage image, Throwable failure, long allocated, long millis) {
    }

    /** Decodes on a thread of its own with a time limit, and checks the allocation bound. */
    private Outcome decode(byte[] data) {
        Outcome o = assertTimeoutPreemptively(TIME_LIMIT, () -> {
            long t0 = System.nanoTime();
            long before = allocated();
            BufferedImage image = null;
            Throwable failure = null;
            try {
                image = decoder.decode(data);
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            return new Outcome(image, failure, allocated() - before, (System.nanoTime() - t0) / 1_000_000);
        }, "decoding " + data.length + " bytes took longer than " + TIME_LIMIT);
        long passes = Math.max(1, Math.min(ImageDecoder.MAX_JPEG_SCANS, isJpeg(data) ? scanCount(data) : 1));
        long bound = ImageDecoder.MAX_BYTES_PER_PIXEL * LIMIT * passes
                + ImageDecoder.MAX_BYTES_PER_INPUT_BYTE * data.length + ImageDecoder.MAX_FIXED_BYTES;
        assertThat(o.allocated).as("bytes allocated decoding %d bytes (%s)", data.length,
                o.failure != null ? o.failure.toString() : "decoded").isLessThanOrEqualTo(bound);
        return o;
    }

    private Outcome assertDecodes(byte[] data, int width, int height) {
        Outcome o = decode(data);
        assertThat(o.failure).as("decoding %d bytes", data.length).isNull();
        assertThat(o.image.getWidth()).isEqualTo(width);
        assertThat(o.image.getHeight()).isEqualTo(height);
        return o;
    }

    /** Asserts the reason and, unless {@code message} is null, the whole message. */
    private InvalidImageException assertRefused(byte[] data, Reason reason, String message) {
        Outcome o = decode(data);
        assertThat(o.failure).as("decoding %d bytes", data.length).isInstanceOf(InvalidImageException.class);
        InvalidImageException e = (InvalidImageException) o.failure;
        assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
        if (message != null) {
            assertThat(e).hasMessage(message);
        }
        return e;
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    private static boolean isJpeg(byte[] data) {
        return data.length > 2 && (data[0] & 0xFF) == 0xFF && (data[1] & 0xFF) == 0xD8;
    }

    /** FF DA pairs: the scans of a JPEG (or more, should a segment's payload hold that pair). */
    private static int scanCount(byte[] jpeg) {
        int scans = 0;
        for (int i = 0; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xDA) {
                scans++;
            }
        }
        return scans;
    }

    /** Bytes from the LZW minimum code size of the first frame to the end of its sub-blocks. */
    private static int lzwBytes(byte[] gif) {
        int pos = 13 + ((gif[10] & 0x80) != 0 ? 3 * (1 << ((gif[10] & 7) + 1)) : 0);
        while (gif[pos] == 0x21) {
            pos = GifBlocks.subBlocksEnd(gif, pos + 2);
        }
        int lzw = pos + 10 + ((gif[pos + 9] & 0x80) != 0 ? 3 * (1 << ((gif[pos + 9] & 7) + 1)) : 0);
        return GifBlocks.subBlocksEnd(gif, lzw + 1) - lzw;
    }
}
