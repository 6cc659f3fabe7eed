package io.llavastream.model.image;

import java.util.Objects;

/**
 * The bytes handed to {@link ImageDecoder} cannot be turned into an image. Unchecked, because the
 * caller can only reject the request; the {@link #reason()} tells which kind of bad input it was
 * (for metrics and for the error sent back), the message names the offending value and what was
 * expected.
 */
public final class InvalidImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why an image was rejected. */
    public enum Reason {
        /** Zero bytes. */
        EMPTY,
        /** Not a recognised image signature, or data that no decoder can make sense of. */
        NOT_AN_IMAGE,
        /** A recognised image format that this decoder does not accept (TIFF, HEIC, ...). */
        UNSUPPORTED_FORMAT,
        /** The data stops before the image is complete. */
        TRUNCATED,
        /** The header declares more pixels than the decoder's limit; nothing was decoded. */
        TOO_MANY_PIXELS,
        /**
         * Within the pixel limit, but built to cost far more than its pixels to decode: more JPEG scans than
         * {@link ImageDecoder#MAX_JPEG_SCANS}, or GIF data that decodes to more pixels than its frame holds (an
         * LZW bomb). Nothing was decoded.
         */
        TOO_COMPLEX
    }

    private final Reason reason;

    public InvalidImageException(Reason reason, String message) {
        this(reason, message, null);
    }

    public InvalidImageException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
