package io.llavastream.serde;

import org.apache.avro.Schema;

/** The two calls the serdes need from a schema registry. */
public interface SchemaRegistry {
    /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /**
     * The schema with global id {@code id}.
     *
     * @throws SerdeException with reason UNKNOWN_SCHEMA_ID when the registry has no such id
     */
    Schema schemaById(int id);
}
