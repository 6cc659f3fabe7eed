package io.llavastream.model.image;

import io.llavastream.model.image.InvalidImageException.Reason;
import java.util.Locale;

/**
 * The decoder's pixel limit, applied to every size a container declares (image, canvas, logical screen, frame,
 * bitstream), each before anything of that size is allocated.
 */
final class PixelLimit {
    private final long maxPixels;

    PixelLimit(long maxPixels) {
        this.maxPixels = maxPixels;
    }

    long maxPixels() {
        return maxPixels;
    }

    /**
     * Refuses a declared {@code width x height} over the limit.
     *
     * @param what what declares the size, as the message's subject: "image", "GIF logical screen", ...
     * @param width the declared width, 0 to 2^32 - 1
     * @param height the declared height, 0 to 2^32 - 1
     * @throws InvalidImageException TOO_MANY_PIXELS naming the size and the limit
     */
    void check(String what, long width, long height) {
        long pixels = width * height; // both below 2^32: the product fits in 64 unsigned bits
        if (Long.compareUnsigned(pixels, maxPixels) > 0) {
            throw new InvalidImageException(Reason.TOO_MANY_PIXELS, String.format(Locale.ROOT,
                    "%s is %dx%d = %s pixels, over the limit of %d", what, width, height,
                    Long.toUnsignedString(pixels), maxPixels));
        }
    }
}
