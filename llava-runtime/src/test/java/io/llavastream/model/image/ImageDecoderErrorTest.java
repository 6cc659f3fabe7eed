package io.llavastream.model.image;

import static io.llavastream.model.image.TestImages.encode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.llavastream.model.image.InvalidImageException.Reason;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every {@link Reason}, decompression bombs, truncation, and robustness against corrupt bytes. */
class ImageDecoderErrorTest {
    private final ImageDecoder decoder = new ImageDecoder();

    @Test
    void emptyInputIsEmpty() {
        assertReason(new byte[0], Reason.EMPTY).hasMessageContaining("0 bytes");
    }

    @Test
    void randomBytesAreNotAnImage() {
        byte[] random = new byte[4096];
        new Random(7).nextBytes(random);
        assertReason(random, Reason.NOT_AN_IMAGE).hasMessageContaining("not a recognised image")
                .hasMessageContaining("expected PNG, JPEG, GIF, BMP or WebP");
    }

    @Test
    void textIsNotAnImage() {
        assertReason("hello, this is not a picture".getBytes(StandardCharsets.UTF_8), Reason.NOT_AN_IMAGE)
                .hasMessageContaining("68 65 6c 6c 6f");
    }

    @Test
    void tiffIsAnUnsupportedFormatEvenThoughTheJdkCouldReadIt() {
        byte[] tiff = encode(TestImages.gradient(8, 8), "tif");
        assertReason(tiff, Reason.UNSUPPORTED_FORMAT).hasMessageContaining("TIFF is not supported");
    }

    @Test
    void heicIsAnUnsupportedFormat() {
        byte[] heic = new byte[64];
        System.arraycopy("\0\0\0\u0018ftypheic".getBytes(StandardCharsets.ISO_8859_1), 0, heic, 0, 12);
        assertReason(heic, Reason.UNSUPPORTED_FORMAT).hasMessageContaining("HEIF/HEIC");
    }

    @Test
    void refusesDecompressionBombBeforeDecodingPixels() {
        // Valid signature and IHDR claiming 30000x30000 RGB (2.7 GB decoded), then an IDAT that
        // is not even zlib data: had the decoder touched the pixels it would report corrupt data.
        byte[] bomb = png(30000, 30000, 2, "not zlib data".getBytes(StandardCharsets.US_ASCII));
        assertThat(bomb.length).isLessThan(100);
        InvalidImageException e = assertTimeoutPreemptively(Duration.ofSeconds(2),
                () -> (InvalidImageException) catchThrowable(() -> decoder.decode(bomb)));
        assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_PIXELS);
        assertThat(e).hasMessage("image is 30000x30000 = 900000000 pixels, over the limit of 40000000");
    }

    @Test
    void refusesJpegBombFromItsFrameHeader() {
        // SOI, SOF0 declaring 65000x65000 3-component, EOI: no scan data at all.
        byte[] sof = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xC0, 0, 17, 8, (byte) 0xFD, (byte) 0xE8,
            (byte) 0xFD, (byte) 0xE8, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, (byte) 0xFF, (byte) 0xD9};
        assertReason(sof, Reason.TOO_MANY_PIXELS).hasMessage(
                "image is 65000x65000 = 4225000000 pixels, over the limit of 40000000");
    }

    @Test
    void appliesAConfiguredPixelLimit() {
        byte[] png = encode(TestImages.gradient(40, 30), "png");
        assertThatThrownBy(() -> new ImageDecoder(1000).decode(png))
                .isInstanceOfSatisfying(InvalidImageException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_PIXELS))
                .hasMessage("image is 40x30 = 1200 pixels, over the limit of 1000");
    }

    @Test
    void rejectsANonPositivePixelLimit() {
        assertThatThrownBy(() -> new ImageDecoder(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxPixels must be > 0, got 0");
    }

    @ParameterizedTest(name = "cut {0} bytes from the end")
    @ValueSource(ints = {1, 6, 12, 13, 500, 20000})
    void truncatedPngIsTruncated(int bytesCut) {
        byte[] full = encode(TestImages.noise(120, 80, 3), "png");
        assertReason(Arrays.copyOf(full, full.length - bytesCut), Reason.TRUNCATED).hasMessageContaining("PNG data ends at byte");
    }

    @ParameterizedTest(name = "cut {0} bytes from the end")
    @ValueSource(ints = {1, 2, 100, 50000})
    void truncatedJpegIsTruncated(int bytesCut) {
        byte[] full = TestImages.resource("photos/rocket.jpg");
        assertReason(Arrays.copyOf(full, full.length - bytesCut), Reason.TRUNCATED).hasMessageContaining("JPEG data ends at byte");
    }

    @Test
    void imageIoAloneSilentlyAcceptsTheseTruncatedFiles() throws IOException {
        // Why the decoder checks structure itself: ImageIO returns an image for a JPEG without
        // its last half and for a PNG without its IEND chunk.
        byte[] jpeg = TestImages.resource("photos/rocket.jpg");
        byte[] png = encode(TestImages.noise(120, 80, 3), "png");
        assertThat(ImageIO.read(new ByteArrayInputStream(Arrays.copyOf(jpeg, jpeg.length / 2)))).isNotNull();
        assertThat(ImageIO.read(new ByteArrayInputStream(Arrays.copyOf(png, png.length - 12)))).isNotNull();
    }

    @Test
    void truncatedGifBmpAndWebpAreTruncated() throws IOException {
        byte[] gif = ImageDecoderTest.animatedGif(TestImages.noise(40, 30, 4).getSubimage(0, 0, 40, 30));
        byte[] bmp = encode(bgr(TestImages.noise(40, 30, 5)), "bmp");
        byte[] webp = TestImages.resource("images/chelsea_lossy.webp");
        assertReason(Arrays.copyOf(gif, gif.length / 2), Reason.TRUNCATED).hasMessageContaining("GIF data ends");
        assertReason(Arrays.copyOf(bmp, bmp.length - 1), Reason.TRUNCATED).hasMessageContaining("BMP data ends");
        assertReason(Arrays.copyOf(webp, webp.length - 10), Reason.TRUNCATED).hasMessageContaining("RIFF header declares 1116 bytes");
    }

    @Test
    void cutPngSignatureIsTruncated() {
        assertReason(new byte[] {(byte) 0x89, 'P', 'N'}, Reason.TRUNCATED).hasMessageContaining("8-byte signature");
    }

    @Test
    void pngWithCorruptPixelDataIsNotAnImage() {
        byte[] corrupt = png(16, 16, 2, "not zlib data".getBytes(StandardCharsets.US_ASCII));
        assertReason(corrupt, Reason.NOT_AN_IMAGE).hasMessageContaining("corrupt PNG data");
    }

    @Test
    void pngDeclaringZeroWidthIsNotAnImage() {
        assertReason(png(0, 16, 2, new byte[0]), Reason.NOT_AN_IMAGE);
    }

    @Test
    void corruptedInputsOnlyEverFailWithInvalidImageException() throws IOException {
        byte[][] sources = {
            encode(TestImages.noise(24, 16, 6), "png"),
            encode(TestImages.gradient(24, 16), "jpeg"),
            ImageDecoderTest.animatedGif(TestImages.noise(24, 16, 7).getSubimage(0, 0, 24, 16)),
            encode(bgr(TestImages.noise(24, 16, 8)), "bmp"),
            TestImages.resource("images/chelsea_lossy.webp"),
            TestImages.resource("images/alpha_lossless.webp"),
        };
        ImageDecoder small = new ImageDecoder(1_000_000); // keep corrupt headers from costing time
        Random random = new Random(2024);
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int i = 0; i < 240; i++) {
            byte[] data = sources[i % sources.length].clone();
            int edits = 1 + random.nextInt(6);
            for (int k = 0; k < edits; k++) {
                data[random.nextInt(data.length)] = (byte) random.nextInt(256);
            }
            if (random.nextInt(4) == 0) {
                data = Arrays.copyOf(data, random.nextInt(data.length));
            }
            byte[] input = data;
            Throwable t = catchThrowable(() -> small.decode(input));
            if (t != null) {
                assertThat(t).as("corrupt input %d: %s", i, t).isInstanceOf(InvalidImageException.class);
                assertThat(t.getMessage()).isNotBlank();
            }
            outcomes.merge(t == null ? "decoded" : ((InvalidImageException) t).reason().name(), 1, Integer::sum);
        }
        System.out.println("corrupted inputs: " + outcomes);
    }

    private static BufferedImage bgr(BufferedImage src) {
        BufferedImage bgr = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        bgr.getGraphics().drawImage(src, 0, 0, null);
        return bgr;
    }

    private org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertReason(byte[] data, Reason reason) {
        return assertThatThrownBy(() -> decoder.decode(data))
                .isInstanceOfSatisfying(InvalidImageException.class, e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }

    /** A PNG with the given IHDR (8-bit, colour type), one IDAT holding {@code idat}, and IEND. */
    static byte[] png(int width, int height, int colourType, byte[] idat) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(out, "IDAT", idat);
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
