package io.llavastream.model.image;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import io.llavastream.model.image.InvalidImageException.Reason;
import java.awt.image.BufferedImage;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes untrusted PNG, JPEG, GIF (first frame), BMP and WebP bytes into an 8-bit RGB
 * {@link BufferedImage} of {@code TYPE_INT_RGB}, with pixel values as Pillow would produce them
 * (see {@link RgbImages}).
 *
 * <p>Order of checks, each before anything of the size it checks is allocated:
 * <ol>
 *   <li>the format is recognised from its signature (never from a name or a content type);
 *   <li>a BMP's declared size is checked against the pixel limit ({@link #maxPixels()}), and an embedded JPEG or
 *       PNG refused ({@link BmpHeader});
 *   <li>the container structure is checked for truncation ({@link TruncationCheck}: ImageIO readers may silently
 *       return a partial image);
 *   <li>the container is walked without inflating anything: every size it declares (image, canvas, logical
 *       screen, frame, bitstream) is checked against the pixel limit, structures built to cost far more than their
 *       pixels are refused (more than {@link #MAX_JPEG_SCANS} JPEG scans, GIF LZW data that decodes past its
 *       frame), and the metadata is dropped: text, ICC profiles, EXIF, XMP, comments, extensions, later frames;
 *   <li>the ImageIO reader reads that re-written container, with metadata ignored: its header's size is checked
 *       once more, then the pixels are decoded.
 * </ol>
 * So memory is bounded by the pixel limit, not by what the bytes inflate to: a decode allocates in all at most
 * {@link #MAX_BYTES_PER_PIXEL} bytes per pixel of the limit and per pass, plus {@link #MAX_BYTES_PER_INPUT_BYTE}
 * per input byte, plus {@link #MAX_FIXED_BYTES}. There is one pass, except for a JPEG of several scans, which the
 * JDK's reader decodes again after each scan (at most {@link #MAX_JPEG_SCANS}; the earlier passes are garbage,
 * not held). {@code ImageBombTest} measures every hostile input against this bound, in a 256 MiB heap. Every
 * failure is an {@link InvalidImageException}; no other exception escapes for bad
 * input. JPEG decoding uses the TwelveMonkeys plugin, WebP needs it.
 *
 * <p>Thread-safe: each call uses its own ImageIO reader.
 */
public final class ImageDecoder {
    /** Default limit: 40 megapixels, i.e. 160 MB as packed RGB, well above any camera photo. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    /**
     * Scans a JPEG may have: three times the 10 of libjpeg's progressive script for colour images. The JDK's reader
     * decodes the whole image again after each scan (see {@link JpegSegments}).
     */
    public static final int MAX_JPEG_SCANS = 32;

    /** Allocation bound, per pixel of the limit: a 16-bit RGBA PNG's raster (8) plus the RGB result (4), rounded up. */
    public static final long MAX_BYTES_PER_PIXEL = 16;

    /** Allocation bound, per byte of input: the metadata-free copy the reader reads, and its buffers. */
    public static final long MAX_BYTES_PER_INPUT_BYTE = 2;

    /** Allocation bound, fixed part: reader set-up, tables and buffers. */
    public static final long MAX_FIXED_BYTES = 16L << 20;

    private final PixelLimit limit;

    /** A decoder with the {@link #DEFAULT_MAX_PIXELS} limit. */
    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS);
    }

    /** A decoder that refuses images of more than {@code maxPixels} (width times height) pixels. */
    public ImageDecoder(long maxPixels) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be > 0, got " + maxPixels);
        }
        this.limit = new PixelLimit(maxPixels);
    }

    public long maxPixels() {
        return limit.maxPixels();
    }

    /**
     * Decodes {@code data}.
     *
     * @return a new {@code TYPE_INT_RGB} image (alpha composited onto white)
     * @throws InvalidImageException for empty, unrecognised, unsupported, truncated, corrupt or
     *     oversized images
     */
    public BufferedImage decode(byte[] data) {
        Objects.requireNonNull(data, "data");
        if (data.length == 0) {
            throw new InvalidImageException(Reason.EMPTY, "image is empty (0 bytes); " + ImageFormat.EXPECTED);
        }
        ImageFormat format = ImageFormat.detect(data);
        if (format == ImageFormat.BMP) {
            BmpHeader.check(data, limit);
        }
        String truncation = TruncationCheck.findTruncation(format, data);
        if (truncation != null) {
            throw new InvalidImageException(Reason.TRUNCATED, truncation);
        }
        byte[] pixelData = pixelData(format, data);
        ImageReader reader = readerFor(format);
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream in = new ByteArrayImageInputStream(pixelData)) {
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            checkPixelCount(format, data, reader);
            BufferedImage image = reader.read(0);
            String truncationWarning = truncationWarning(warnings);
            if (truncationWarning != null) {
                throw new InvalidImageException(Reason.TRUNCATED,
                        format.displayName + " decoder reports truncated data: " + truncationWarning);
            }
            return RgbImages.toRgb(image);
        } catch (InvalidImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ImageIO plugins signal bad data with IIOException but also with unchecked exceptions
            // (IndexOutOfBounds, IllegalArgument, NegativeArraySize, ...): classify them all.
            throw classify(format, data, e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * What the ImageIO reader gets to see: the container without its metadata, after every size it declares was
     * checked (see {@link PngChunks}, {@link JpegSegments}, {@link GifBlocks}, {@link WebpChunks}). BMP carries no
     * metadata that the reader would parse.
     */
    private byte[] pixelData(ImageFormat format, byte[] data) {
        switch (format) {
            case PNG:
                return PngChunks.pixelChunksOnly(data);
            case JPEG:
                return JpegSegments.pixelSegmentsOnly(data, limit);
            case GIF:
                return GifBlocks.firstFrameOnly(data, limit);
            case WEBP:
                return WebpChunks.checked(data, limit);
            case BMP:
                return data;
            default:
                throw new AssertionError(format);
        }
    }

    private static ImageReader readerFor(ImageFormat format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName);
        if (!readers.hasNext()) {
            // Only possible if the TwelveMonkeys WebP plugin is missing from the class path.
            throw new IllegalStateException("no ImageIO reader for " + format.displayName
                    + " on the class path; the TwelveMonkeys imageio plugins are required");
        }
        return readers.next();
    }

    /**
     * Reads the dimensions the reader will allocate from its header and enforces the pixel limit (again: the
     * container checks already did for every size they read); decodes no pixels.
     */
    private void checkPixelCount(ImageFormat format, byte[] data, ImageReader reader) throws IOException {
        int width;
        int height;
        try {
            width = reader.getWidth(0);
            height = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw classify(format, data, e);
        }
        if (width <= 0 || height <= 0) {
            throw new InvalidImageException(Reason.NOT_AN_IMAGE, format.displayName + " header declares a "
                    + width + "x" + height + " image; expected a width and height of at least 1");
        }
        limit.check("image", width, height);
    }

    /** The first warning that says the data ended early, or null. */
    private static String truncationWarning(List<String> warnings) {
        for (String w : warnings) {
            String lower = w.toLowerCase(Locale.ROOT);
            if (lower.contains("premature end") || lower.contains("truncated") || lower.contains("missing eoi")) {
                return w;
            }
        }
        return null;
    }

    private static InvalidImageException classify(ImageFormat format, byte[] data, Exception e) {
        if (e instanceof InvalidImageException) {
            return (InvalidImageException) e;
        }
        String truncation = TruncationCheck.findTruncation(format, data);
        if (truncation != null) {
            return new InvalidImageException(Reason.TRUNCATED, truncation, e);
        }
        String detail = describe(e);
        if (causedBy(e, EOFException.class)) {
            return new InvalidImageException(Reason.TRUNCATED,
                    format.displayName + " data ends before the image is complete: " + detail, e);
        }
        String lower = detail.toLowerCase(Locale.ROOT);
        if (lower.contains("unsupported") || lower.contains("not supported")) {
            return new InvalidImageException(Reason.UNSUPPORTED_FORMAT,
                    "this " + format.displayName + " variant is not supported: " + detail, e);
        }
        return new InvalidImageException(Reason.NOT_AN_IMAGE, "corrupt " + format.displayName + " data ("
                + data.length + " bytes) could not be decoded: " + detail + "; expected a valid "
                + format.displayName + " image", e);
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null && sb.length() < 300; c = c.getCause()) {
            if (sb.length() > 0) {
                sb.append(" <- ");
            }
            sb.append(c.getClass().getSimpleName());
            if (c.getMessage() != null) {
                sb.append(": ").append(c.getMessage());
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return sb.toString();
    }
}
