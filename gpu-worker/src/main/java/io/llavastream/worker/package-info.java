/**
 * The stage workers: one runtime for Kafka I/O, micro-batching, exactly-once commits, retries and dead letters
 * ({@link io.llavastream.worker.StageRuntime}, configured by {@link io.llavastream.worker.WorkerConfig}), and the
 * stages that run on it as pure compute behind {@link io.llavastream.worker.Stage}: one class per stage, named for
 * what it does ({@link io.llavastream.worker.VisionStage}, {@link io.llavastream.worker.MergeStage}).
 *
 * <p>A batch flows as: poll (read_committed) → {@code BatchAssembler} (size or linger) → {@code BatchProcessor}
 * (decode each record, compute in micro-batches, serialize, dead-letter failures with their original bytes) → one
 * transaction with the outputs, the dead letters and the consumed offsets. Tensors cross processes through
 * {@link io.llavastream.tensor.TensorCodec}.
 */
package io.llavastream.worker;
