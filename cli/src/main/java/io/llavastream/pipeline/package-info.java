/**
 * The whole pipeline in one JVM for the demo and the integration tests: an embedded KRaft broker, a schema
 * registry, the Streams topology and the three stage workers, each its own consumer group on its own thread.
 */
package io.llavastream.pipeline;
