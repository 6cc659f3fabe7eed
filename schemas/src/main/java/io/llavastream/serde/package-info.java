/**
 * Avro in Confluent's wire format: magic byte 0, the writer schema's 4-byte big-endian id, then the Avro binary.
 * Subjects are {@code <topic>-value} (TopicNameStrategy). {@link io.llavastream.serde.SchemaRegistry} has an
 * in-memory implementation for the embedded mode and the tests, and a client for the REST API that Confluent
 * Schema Registry, Apicurio, Karapace and Redpanda serve; {@link io.llavastream.serde.SchemaRegistryServer} serves
 * that API from an in-memory registry for separate processes of the embedded mode.
 */
package io.llavastream.serde;
