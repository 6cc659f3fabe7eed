/**
 * The Kafka Streams application (exactly_once_v2) that connects the stage workers: it validates posts, splits them
 * into one task per image, sends each image to the vision stage keyed by its cache key (image SHA-256 and vision
 * model id; the vision worker keeps the cache), and assembles each post's answers into one captioned post. Records it
 * cannot use become dead letters with their original bytes; nothing stops the stream: a record that keeps killing
 * the stream thread is dead-lettered after {@code max.record.attempts} ({@link io.llavastream.topology.RecordGuard}),
 * and a post whose answers do not come completes after {@code post.timeout.ms}.
 *
 * <p>{@link io.llavastream.topology.PipelineTopology#build} is the topology, {@link
 * io.llavastream.topology.PipelineConfig} its settings (declared and documented once), {@link
 * io.llavastream.topology.StreamsProperties} the Kafka Streams properties, and {@link
 * io.llavastream.topology.PipelineTopologyApp} the running instance. The stage workers are separate processes.
 */
package io.llavastream.topology;
