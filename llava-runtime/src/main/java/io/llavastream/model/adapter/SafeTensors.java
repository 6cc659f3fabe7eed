package io.llavastream.model.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a safetensors file of float32 tensors: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}, then the raw little-endian data
 * (offsets relative to its start). Every defect is an {@link AdapterException} naming the file and what was expected.
 */
final class SafeTensors {
    /** One tensor: its shape and its values, row-major. */
    record Tensor(long[] shape, float[] values) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {
    }

    static Map<String, Tensor> read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new AdapterException("cannot read " + file + ": " + e.getMessage(), e);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) {
            throw new AdapterException(file + " is " + bytes.length + " bytes; expected a safetensors file "
                    + "(8-byte header length, JSON header, data)");
        }
        long headerLength = buf.getLong(0);
        if (headerLength <= 0 || headerLength > bytes.length - 8) {
            throw new AdapterException(file + " declares a header of " + headerLength + " bytes in a file of "
                    + bytes.length + "; expected a safetensors file");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, (int) headerLength, java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AdapterException(file + " has a header that is not JSON: " + e.getMessage(), e);
        }
        int dataStart = 8 + (int) headerLength;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("__metadata__")) {
                out.put(e.getKey(), tensor(file, e.getKey(), e.getValue(), buf, dataStart, bytes.length));
            }
        }
        return out;
    }

    private static Tensor tensor(Path file, String name, JsonNode h, ByteBuffer buf, int dataStart, int fileLength) {
        String dtype = h.path("dtype").asText();
        if (!dtype.equals("F32")) {
            throw new AdapterException(file + ": tensor " + name + " has dtype '" + dtype + "'; expected F32");
        }
        JsonNode shapeNode = h.path("shape");
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
            count *= shape[i];
        }
        long begin = h.path("data_offsets").path(0).asLong(-1);
        long end = h.path("data_offsets").path(1).asLong(-1);
        if (begin < 0 || end - begin != count * Float.BYTES || dataStart + end > fileLength) {
            throw new AdapterException(file + ": tensor " + name + " has data_offsets [" + begin + ", " + end
                    + "] in a file of " + fileLength + " bytes; expected " + count * Float.BYTES
                    + " bytes for shape " + java.util.Arrays.toString(shape) + " inside the file");
        }
        float[] values = new float[(int) count];
        buf.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(dataStart + (int) begin).slice()
                .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return new Tensor(shape, values);
    }
}
