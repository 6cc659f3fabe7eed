package io.llavastream.serde;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/**
 * A schema registry inside the JVM, for the embedded mode and the tests. Like Confluent's, one schema gets one id
 * across all subjects; ids start at 1.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {
    private final Map<String, Integer> idsBySchema = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger(1);

    @Override
    public int register(String subject, Schema schema) {
        return idsBySchema.computeIfAbsent(schema.toString(), s -> {
            int id = next.getAndIncrement();
            schemasById.put(id, schema);
            return id;
        });
    }

    @Override
    public Schema schemaById(int id) {
        Schema s = schemasById.get(id);
        if (s == null) {
            throw new SerdeException(SerdeException.Reason.UNKNOWN_SCHEMA_ID,
                    "schema id " + id + " is not registered (known ids: 1.." + (next.get() - 1) + ")");
        }
        return s;
    }
}
