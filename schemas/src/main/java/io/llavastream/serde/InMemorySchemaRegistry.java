package io.llavastream.serde;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * A schema registry inside the JVM, for the tests and the in-process tools, and the state that
 * {@link KafkaSchemaRegistry} rebuilds from its topic. Like Confluent's, one schema gets one id across all
 * subjects; ids start at 1; a subject's versions are the distinct schemas registered under it, in order, numbered
 * from 1.
 */
public final class InMemorySchemaRegistry implements SchemaStore {
    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, List<Integer>> idsBySubject = new HashMap<>();
    private int maxId;

    @Override
    public synchronized int register(String subject, Schema schema) {
        int id = idFor(schema);
        add(subject, id, schema);
        return id;
    }

    @Override
    public synchronized Schema schemaById(int id) {
        Schema s = schemasById.get(id);
        if (s == null) {
            throw new SerdeException(SerdeException.Reason.UNKNOWN_SCHEMA_ID,
                    "schema id " + id + " is not registered (known ids: 1.." + maxId + ")");
        }
        return s;
    }

    @Override
    public synchronized List<String> subjects() {
        return idsBySubject.keySet().stream().sorted().toList();
    }

    @Override
    public synchronized List<Integer> versions(String subject) {
        List<Integer> ids = idsBySubject.get(subject);
        return ids == null ? List.of() : List.copyOf(ids);
    }

    /** The id of {@code schema} under {@code subject}, or null when it is not registered there. */
    synchronized Integer registered(String subject, Schema schema) {
        Integer id = idsBySchema.get(schema.toString());
        return id != null && versions(subject).contains(id) ? id : null;
    }

    /** The id {@code schema} has (under any subject), or the next free one. */
    synchronized int idFor(Schema schema) {
        Integer id = idsBySchema.get(schema.toString());
        return id != null ? id : maxId + 1;
    }

    /**
     * Binds {@code id} to {@code schema} and adds it to {@code subject}'s versions (once). Returns false, changing
     * nothing, when the id is bound to another schema or the schema to another id: the first binding wins.
     */
    synchronized boolean add(String subject, int id, Schema schema) {
        String text = schema.toString();
        Integer known = idsBySchema.get(text);
        Schema bound = schemasById.get(id);
        if ((known != null && known != id) || (bound != null && !bound.toString().equals(text))) {
            return false;
        }
        idsBySchema.put(text, id);
        schemasById.put(id, schema);
        maxId = Math.max(maxId, id);
        List<Integer> versions = idsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!versions.contains(id)) {
            versions.add(id);
        }
        return true;
    }
}
