package io.llavastream.model.image;

import io.llavastream.model.image.InvalidImageException.Reason;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes untrusted PNG, JPEG, GIF (first frame), BMP and WebP bytes into an 8-bit RGB
 * {@link BufferedImage} of {@code TYPE_INT_RGB}, with pixel values as Pillow would produce them
 * (see {@link RgbImages}).
 *
 * <p>Order of checks: the format is recognised from its signature; the width and height are read
 * from the header ({@link ImageReader#getWidth}/{@link ImageReader#getHeight}, which parse headers
 * only) and an image over {@link #maxPixels()} is refused before any pixel is decoded; the
 * container structure is checked for truncation (ImageIO readers may silently return a partial
 * image); then the pixels are decoded. Every failure is an {@link InvalidImageException}; no other
 * exception escapes for bad input. JPEG decoding uses the TwelveMonkeys plugin, WebP needs it.
 *
 * <p>Thread-safe: each call uses its own ImageIO reader.
 */
public final class ImageDecoder {
    /** Default limit: 40 megapixels, i.e. 160 MB as packed RGB, well above any camera photo. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    private final long maxPixels;

    /** A decoder with the {@link #DEFAULT_MAX_PIXELS} limit. */
    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS);
    }

    /** A decoder that refuses images of more than {@code maxPixels} (width times height) pixels. */
    public ImageDecoder(long maxPixels) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be > 0, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    public long maxPixels() {
        return maxPixels;
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
        ImageReader reader = readerFor(format);
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            reader.setInput(in, true, false);
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            checkPixelCount(format, data, reader);
            String truncation = TruncationCheck.findTruncation(format, data);
            if (truncation != null) {
                throw new InvalidImageException(Reason.TRUNCATED, truncation);
            }
            BufferedImage image = reader.read(0, readParam(reader));
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

    private static ImageReader readerFor(ImageFormat format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName);
        if (!readers.hasNext()) {
            // Only possible if the TwelveMonkeys WebP plugin is missing from the class path.
            throw new IllegalStateException("no ImageIO reader for " + format.displayName
                    + " on the class path; the TwelveMonkeys imageio plugins are required");
        }
        return readers.next();
    }

    /** Reads the dimensions from the header and enforces the pixel limit; decodes no pixels. */
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
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new InvalidImageException(Reason.TOO_MANY_PIXELS, String.format(Locale.ROOT,
                    "image is %dx%d = %d pixels, over the limit of %d", width, height, pixels, maxPixels));
        }
    }

    /**
     * Prefers a destination type that keeps the stored RGB samples: the embedded ICC profile's
     * RGB space. Otherwise the TwelveMonkeys JPEG reader colour-converts such images to sRGB
     * (moving values by tens of levels), which Pillow never does; {@link RgbImages} then takes
     * the samples as stored. CMYK JPEGs are left to TwelveMonkeys' own CMYK to RGB conversion:
     * its raw CMYK destination is not reliable (without an ICC profile it still converts), so
     * those differ from Pillow by a level or more.
     */
    private static ImageReadParam readParam(ImageReader reader) throws IOException {
        ImageReadParam param = reader.getDefaultReadParam();
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        while (types != null && types.hasNext()) {
            ImageTypeSpecifier type = types.next();
            ColorSpace cs = type.getColorModel().getColorSpace();
            if (cs.getType() == ColorSpace.TYPE_RGB && !cs.isCS_sRGB()) {
                param.setDestinationType(type);
                break;
            }
        }
        return param;
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
