package io.llavastream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the golden tensors that the training framework wrote at export ({@code reference/manifest.json} plus
 * little-endian {@code .bin} files).
 */
final class ReferenceTensors {
    private final Path dir;
    final JsonNode manifest;

    ReferenceTensors(Path modelDir) {
        this.dir = modelDir.resolve("reference");
        try {
            this.manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path file(String name) {
        return dir.resolve(name);
    }

    float[] floats(JsonNode tensors, String name) {
        ByteBuffer b = bytes(tensors, name);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    long[] longs(JsonNode tensors, String name) {
        ByteBuffer b = bytes(tensors, name);
        long[] out = new long[b.remaining() / 8];
        b.asLongBuffer().get(out);
        return out;
    }

    private ByteBuffer bytes(JsonNode tensors, String name) {
        JsonNode t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no reference tensor ending in " + name + " in " + tensors);
        }
        try {
            return ByteBuffer.wrap(Files.readAllBytes(dir.resolve(t.get("file").asText())))
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
