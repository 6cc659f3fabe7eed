package io.llavastream.serde;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/**
 * A schema registry inside the JVM, for the embedded mode and the tests, and the store behind
 * {@link SchemaRegistryServer}. Like Confluent's, one schema gets one id across all subjects; ids start at 1; a
 * subject's versions are the distinct schemas registered under it, in order, numbered from 1.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {
    private final Map<String, Integer> idsBySchema = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, CopyOnWriteArrayList<Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger(1);

    @Override
    public int register(String subject, Schema schema) {
        int id = idsBySchema.computeIfAbsent(schema.toString(), s -> {
            int fresh = next.getAndIncrement();
            schemasById.put(fresh, schema);
            return fresh;
        });
        idsBySubject.computeIfAbsent(subject, s -> new CopyOnWriteArrayList<>()).addIfAbsent(id);
        return id;
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

    /** The subjects with at least one schema, sorted. */
    public List<String> subjects() {
        return idsBySubject.keySet().stream().sorted().toList();
    }

    /** The schema ids registered under {@code subject}: element i is version i + 1; empty for an unknown subject. */
    public List<Integer> versions(String subject) {
        List<Integer> ids = idsBySubject.get(subject);
        return ids == null ? List.of() : List.copyOf(ids);
    }
}
