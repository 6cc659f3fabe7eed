/**
 * Avro in Confluent's wire format: magic byte 0, the writer schema's 4-byte big-endian id, then the Avro binary.
 * Subjects are {@code <topic>-value} (TopicNameStrategy). {@link io.llavastream.serde.SchemaRegistry} has an
 * in-memory implementation for the embedded mode and the tests, and a client for the REST API that Confluent
 * Schema Registry, Apicurio, Karapace and Redpanda serve.
 */
package io.llavastream.serde;
