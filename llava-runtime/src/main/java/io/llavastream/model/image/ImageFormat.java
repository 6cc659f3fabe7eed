package io.llavastream.model.image;

import static io.llavastream.model.image.Bytes.u8;

import io.llavastream.model.image.InvalidImageException.Reason;
import java.nio.charset.StandardCharsets;

/**
 * The image formats {@link ImageDecoder} accepts, recognised by their leading bytes (never by a
 * file name or a client-supplied content type). Recognising the format ourselves means a TIFF or
 * other format that the JDK could also read is refused, rather than decoded by whichever ImageIO
 * plugin happens to be on the class path.
 */
enum ImageFormat {
    PNG("png", "PNG"),
    JPEG("jpeg", "JPEG"),
    GIF("gif", "GIF"),
    BMP("bmp", "BMP"),
    WEBP("webp", "WebP");

    static final String EXPECTED = "expected PNG, JPEG, GIF, BMP or WebP data";

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /** Name for {@link javax.imageio.ImageIO#getImageReadersByFormatName}. */
    final String imageIoName;
    final String displayName;

    ImageFormat(String imageIoName, String displayName) {
        this.imageIoName = imageIoName;
        this.displayName = displayName;
    }

    /**
     * Identifies the format of {@code data} (non-empty).
     *
     * @throws InvalidImageException UNSUPPORTED_FORMAT for a known format we do not decode,
     *     TRUNCATED when the data is a cut-off signature, NOT_AN_IMAGE otherwise
     */
    static ImageFormat detect(byte[] data) {
        if (startsWith(data, PNG_SIGNATURE)) {
            return PNG;
        }
        if (isPrefixOf(data, PNG_SIGNATURE)) {
            throw cutSignature(data, PNG, PNG_SIGNATURE.length);
        }
        if (data.length >= 3 && u8(data, 0) == 0xFF && u8(data, 1) == 0xD8 && u8(data, 2) == 0xFF) {
            return JPEG;
        }
        if (startsWith(data, ascii("GIF87a")) || startsWith(data, ascii("GIF89a"))) {
            return GIF;
        }
        if (data.length >= 14 && startsWith(data, ascii("BM"))) {
            return BMP;
        }
        if (data.length >= 12 && startsWith(data, ascii("RIFF")) && matchesAt(data, 8, ascii("WEBP"))) {
            return WEBP;
        }
        String unsupported = unsupportedFormatName(data);
        if (unsupported != null) {
            throw new InvalidImageException(Reason.UNSUPPORTED_FORMAT,
                    "image format " + unsupported + " is not supported; " + EXPECTED);
        }
        throw new InvalidImageException(Reason.NOT_AN_IMAGE,
                "data is not a recognised image: it starts with bytes [" + hexPrefix(data, 8)
                        + "] (" + data.length + " bytes in all); " + EXPECTED);
    }

    /** Names well-known formats that are deliberately not accepted, or null. */
    private static String unsupportedFormatName(byte[] d) {
        if (startsWith(d, new byte[] {'I', 'I', 42, 0}) || startsWith(d, new byte[] {'M', 'M', 0, 42})) {
            return "TIFF";
        }
        if (d.length >= 12 && matchesAt(d, 4, ascii("ftyp"))) {
            String brand = new String(d, 8, 4, StandardCharsets.ISO_8859_1);
            return brand.startsWith("avi") ? "AVIF" : brand.startsWith("he") || brand.startsWith("mif") ? "HEIF/HEIC"
                    : "ISO media (" + brand.strip() + ")";
        }
        if (startsWith(d, new byte[] {0, 0, 1, 0}) && d.length >= 6) {
            return "ICO";
        }
        if (startsWith(d, ascii("8BPS"))) {
            return "PSD";
        }
        if (startsWith(d, new byte[] {0, 0, 0, 12, 'j', 'P', ' ', ' '}) || startsWith(d, new byte[] {(byte) 0xFF, 0x4F, (byte) 0xFF, 0x51})) {
            return "JPEG 2000";
        }
        if (startsWith(d, new byte[] {(byte) 0xFF, 0x0A}) || startsWith(d, new byte[] {0, 0, 0, 12, 'J', 'X', 'L', ' '})) {
            return "JPEG XL";
        }
        if (startsWith(d, ascii("%PDF"))) {
            return "PDF";
        }
        if (startsWith(d, ascii("<svg")) || startsWith(d, ascii("<?xml"))) {
            return "SVG/XML";
        }
        return null;
    }

    private static InvalidImageException cutSignature(byte[] data, ImageFormat format, int signatureLength) {
        return new InvalidImageException(Reason.TRUNCATED, format.displayName + " data ends after " + data.length
                + " bytes, inside its " + signatureLength + "-byte signature");
    }

    static String hexPrefix(byte[] d, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(max, d.length); i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(String.format("%02x", d[i]));
        }
        return sb.toString();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean startsWith(byte[] d, byte[] prefix) {
        return matchesAt(d, 0, prefix);
    }

    private static boolean matchesAt(byte[] d, int offset, byte[] expected) {
        if (d.length < offset + expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (d[offset + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPrefixOf(byte[] d, byte[] signature) {
        return d.length < signature.length && matchesAt(signature, 0, d);
    }
}
