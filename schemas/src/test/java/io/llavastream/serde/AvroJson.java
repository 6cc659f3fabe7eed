package io.llavastream.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * Avro values as the cross-check's JSON (the form tools/confluent-check/confluent_roundtrip.mjs reads and prints):
 * records are objects with every field, a nullable union is null or its value, bytes are base64, enums are their
 * symbol, timestamp-millis is epoch ms; and a field-by-field comparison of such JSON that accepts a timestamp as ms
 * or as an ISO-8601 string and compares numbers by value.
 */
final class AvroJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private AvroJson() {
    }

    static JsonNode toJson(Schema s, Object v) {
        switch (s.getType()) {
            case RECORD -> {
                ObjectNode o = F.objectNode();
                for (Schema.Field f : s.getFields()) {
                    o.set(f.name(), toJson(f.schema(), ((IndexedRecord) v).get(f.pos())));
                }
                return o;
            }
            case UNION -> {
                return v == null ? F.nullNode() : toJson(s.getTypes().get(SpecificData.get().resolveUnion(s, v)), v);
            }
            case ARRAY -> {
                ArrayNode a = F.arrayNode();
                ((List<?>) v).forEach(x -> a.add(toJson(s.getElementType(), x)));
                return a;
            }
            case MAP -> {
                ObjectNode o = F.objectNode();
                ((Map<?, ?>) v).forEach((k, x) -> o.set(k.toString(), toJson(s.getValueType(), x)));
                return o;
            }
            case BYTES -> {
                ByteBuffer b = ((ByteBuffer) v).duplicate();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                return F.textNode(Base64.getEncoder().encodeToString(bytes));
            }
            case FIXED -> {
                return F.textNode(Base64.getEncoder().encodeToString(((GenericFixed) v).bytes()));
            }
            case LONG -> {
                return F.numberNode(v instanceof Instant i ? i.toEpochMilli() : ((Long) v).longValue());
            }
            case INT -> {
                return F.numberNode((Integer) v);
            }
            case FLOAT, DOUBLE -> {
                return F.numberNode(((Number) v).doubleValue());
            }
            case BOOLEAN -> {
                return F.booleanNode((Boolean) v);
            }
            case NULL -> {
                return F.nullNode();
            }
            default -> {
                return F.textNode(v.toString()); // STRING, ENUM
            }
        }
    }

    /** The differences between {@code expected} and {@code actual}, as "path: expected X, got Y"; empty if none. */
    static List<String> diff(Schema s, JsonNode expected, JsonNode actual) {
        List<String> out = new ArrayList<>();
        diff(s, expected, actual, s.getName(), out);
        return out;
    }

    private static void diff(Schema s, JsonNode exp, JsonNode act, String path, List<String> out) {
        if (act == null || act.isMissingNode()) {
            out.add(path + ": missing, expected " + exp);
            return;
        }
        switch (s.getType()) {
            case RECORD -> {
                for (Schema.Field f : s.getFields()) {
                    diff(f.schema(), exp.get(f.name()), act.get(f.name()), path + "." + f.name(), out);
                }
                for (Iterator<String> it = act.fieldNames(); it.hasNext(); ) {
                    String name = it.next();
                    if (s.getField(name) == null) {
                        out.add(path + "." + name + ": unexpected field " + act.get(name));
                    }
                }
            }
            case UNION -> {
                if (exp.isNull() || act.isNull()) {
                    same(exp.isNull() && act.isNull(), exp, act, path, out);
                } else {
                    diff(s.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).findFirst().orElseThrow(),
                            exp, act, path, out);
                }
            }
            case ARRAY -> {
                if (!act.isArray() || act.size() != exp.size()) {
                    out.add(path + ": expected " + exp.size() + " elements " + exp + ", got " + act);
                    return;
                }
                for (int i = 0; i < exp.size(); i++) {
                    diff(s.getElementType(), exp.get(i), act.get(i), path + "[" + i + "]", out);
                }
            }
            case MAP -> {
                same(act.isObject() && act.size() == exp.size(), exp, act, path, out);
                exp.fieldNames().forEachRemaining(k -> diff(s.getValueType(), exp.get(k), act.get(k),
                        path + "[" + k + "]", out));
            }
            case LONG -> same(s.getLogicalType() instanceof LogicalTypes.TimestampMillis
                    ? epochMillis(act) != null && epochMillis(act) == exp.longValue()
                    : act.isIntegralNumber() && act.longValue() == exp.longValue(), exp, act, path, out);
            case INT, FLOAT, DOUBLE -> same(act.isNumber() && number(act).compareTo(number(exp)) == 0,
                    exp, act, path, out);
            default -> same(exp.equals(act), exp, act, path, out);
        }
    }

    /** A timestamp as ms since the epoch, from a number of ms or an ISO-8601 string; null if neither. */
    private static Long epochMillis(JsonNode n) {
        if (n.isIntegralNumber()) {
            return n.longValue();
        }
        try {
            return n.isTextual() ? Instant.parse(n.asText()).toEpochMilli() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static BigDecimal number(JsonNode n) {
        return new BigDecimal(n.asText());
    }

    private static void same(boolean ok, JsonNode exp, JsonNode act, String path, List<String> out) {
        if (!ok) {
            out.add(path + ": expected " + exp + ", got " + act);
        }
    }
}
