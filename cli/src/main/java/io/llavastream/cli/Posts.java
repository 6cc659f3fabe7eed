package io.llavastream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Builds input {@link Post}s from image files or from post JSON, for {@code submit} and the demo. */
final class Posts {
    private Posts() {
    }

    static Post ofImages(String id, String source, List<Path> images, String question) throws IOException {
        List<PostImage> out = new ArrayList<>();
        for (Path p : images) {
            out.add(image(Files.readAllBytes(p), contentType(p), p.toUri().toString()));
        }
        return Post.newBuilder().setId(id).setSource(source).setCreatedAt(Instant.now()).setImages(out)
                .setQuestion(question).setAttributes(Map.of()).build();
    }

    static PostImage image(byte[] data, String contentType, String url) {
        return PostImage.newBuilder().setContentType(contentType).setData(ByteBuffer.wrap(data)).setUrl(url).build();
    }

    /**
     * A post from JSON: {@code id, source, url, author, title, body, created_at (ms), question, attributes} and
     * {@code images: [{path | data_base64, content_type?, url?}]}; relative paths resolve against {@code base}.
     */
    static Post ofJson(JsonNode n, Path base) throws IOException {
        List<PostImage> images = new ArrayList<>();
        for (JsonNode i : n.path("images")) {
            if (i.has("path")) {
                Path p = base.resolve(i.get("path").asText());
                images.add(image(Files.readAllBytes(p), i.path("content_type").asText(contentType(p)),
                        i.path("url").asText(p.toUri().toString())));
            } else if (i.has("data_base64")) {
                images.add(image(Base64.getDecoder().decode(i.get("data_base64").asText()),
                        i.path("content_type").asText("application/octet-stream"), text(i, "url")));
            } else {
                throw new IllegalArgumentException("post " + n.path("id").asText("?") + ": an image needs 'path' or "
                        + "'data_base64', got " + i);
            }
        }
        Map<String, String> attributes = new HashMap<>();
        n.path("attributes").fields().forEachRemaining(e -> attributes.put(e.getKey(), e.getValue().asText()));
        if (!n.hasNonNull("id") || !n.hasNonNull("source")) {
            throw new IllegalArgumentException("a post needs 'id' and 'source', got " + n);
        }
        return Post.newBuilder().setId(n.get("id").asText()).setSource(n.get("source").asText())
                .setUrl(text(n, "url")).setAuthor(text(n, "author")).setTitle(text(n, "title"))
                .setBody(n.path("body").asText("")).setCreatedAt(Instant.ofEpochMilli(n.path("created_at")
                        .asLong(System.currentTimeMillis()))).setImages(images).setQuestion(text(n, "question"))
                .setAttributes(attributes).build();
    }

    static String contentType(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        String ext = name.substring(name.lastIndexOf('.') + 1);
        return switch (ext) {
            case "png" -> "image/png";
            case "jpg", "jpeg" -> "image/jpeg";
            case "gif" -> "image/gif";
            case "bmp" -> "image/bmp";
            case "webp" -> "image/webp";
            default -> "application/octet-stream";
        };
    }

    static boolean isImage(Path p) {
        return !contentType(p).equals("application/octet-stream");
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }
}
