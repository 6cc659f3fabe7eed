package io.llavastream.console;

import io.llavastream.rules.PromptRule;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.imageio.ImageIO;

/**
 * Turns an uploaded image (the request body's bytes) and an optional question into a {@link Post} for the posts
 * topic, or refuses it with a {@link BadUploadException} naming what is wrong: empty, larger than the limit, bytes
 * that are none of the formats the vision stage decodes (PNG, JPEG, GIF, BMP, WebP), or bytes of such a format
 * that do not decode.
 */
final class Uploads {
    /** Longest question an upload may carry, characters: the topology's default limit. */
    static final int MAX_QUESTION_CHARS = PromptRule.DEFAULT_MAX_QUESTION_CHARS;
    /** Longest file name kept as the post's title, characters. */
    static final int MAX_NAME_CHARS = 200;

    private final int maxBytes;
    private final String source;

    Uploads(int maxBytes, String source) {
        this.maxBytes = maxBytes;
        this.source = source;
    }

    Post post(byte[] body, String fileName, String question) throws BadUploadException {
        if (body.length == 0) {
            throw new BadUploadException("the upload is empty: send the bytes of a PNG, JPEG, GIF, BMP or WebP image");
        }
        if (body.length > maxBytes) {
            throw new BadUploadException("the upload is " + body.length + " bytes; an image may have at most "
                    + maxBytes + " bytes");
        }
        String type = contentType(body);
        decodes(body, type);
        String q = question == null || question.isBlank() ? null : question.strip();
        if (q != null && q.length() > MAX_QUESTION_CHARS) {
            throw new BadUploadException("the question has " + q.length() + " characters; at most "
                    + MAX_QUESTION_CHARS + " are allowed");
        }
        String name = fileName == null || fileName.isBlank() ? null
                : fileName.strip().substring(0, Math.min(MAX_NAME_CHARS, fileName.strip().length()));
        PostImage image = PostImage.newBuilder().setContentType(type).setData(ByteBuffer.wrap(body))
                .setUrl(null).build();
        return Post.newBuilder().setId("upload-" + UUID.randomUUID()).setSource(source).setTitle(name)
                .setCreatedAt(Instant.now()).setImages(List.of(image)).setQuestion(q).setAttributes(Map.of())
                .build();
    }

    /** The content type of {@code b} from its first bytes (the declared one is not trusted). */
    static String contentType(byte[] b) throws BadUploadException {
        if (startsWith(b, 0x89, 'P', 'N', 'G')) {
            return "image/png";
        }
        if (startsWith(b, 0xFF, 0xD8, 0xFF)) {
            return "image/jpeg";
        }
        if (startsWith(b, 'G', 'I', 'F', '8')) {
            return "image/gif";
        }
        if (startsWith(b, 'B', 'M')) {
            return "image/bmp";
        }
        if (startsWith(b, 'R', 'I', 'F', 'F') && b.length >= 12 && b[8] == 'W' && b[9] == 'E' && b[10] == 'B'
                && b[11] == 'P') {
            return "image/webp";
        }
        byte[] head = java.util.Arrays.copyOf(b, Math.min(8, b.length));
        throw new BadUploadException("not an image: the upload starts with bytes " + HexFormat.ofDelimiter(" ")
                .formatHex(head) + ", which begin none of PNG, JPEG, GIF, BMP or WebP");
    }

    private static void decodes(byte[] body, String type) throws BadUploadException {
        try {
            if (ImageIO.read(new ByteArrayInputStream(body)) == null) {
                throw new BadUploadException("the " + type + " upload cannot be decoded: no image reader accepts it");
            }
        } catch (IOException | RuntimeException e) {
            throw new BadUploadException("the " + type + " upload cannot be decoded: " + e.getMessage());
        }
    }

    private static boolean startsWith(byte[] b, int... prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
