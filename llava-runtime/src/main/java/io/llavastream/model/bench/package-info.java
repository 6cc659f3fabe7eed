/**
 * Micro-benchmarks of the model runtime: per-stage latency on the loaded model, and the overhead of the Java
 * decode step over a bare ONNX Runtime {@code session.run} of the same decoder graph.
 */
package io.llavastream.model.bench;
