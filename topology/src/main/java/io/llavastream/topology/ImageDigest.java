package io.llavastream.topology;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of an encoded image, as 64 lowercase hex digits: the image's identity in the vision cache. */
final class ImageDigest {
    private ImageDigest() {
    }

    /** Hashes the remaining bytes of {@code image} without moving its position. */
    static String sha256Hex(ByteBuffer image) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(image.duplicate());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The vision cache key of an image for one vision model: "&lt;sha256&gt;|&lt;vision model id&gt;". */
    static String cacheKey(String sha256, String visionModelId) {
        return sha256 + "|" + visionModelId;
    }
}
