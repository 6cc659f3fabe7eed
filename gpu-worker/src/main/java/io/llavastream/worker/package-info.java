/**
 * The stage workers on Kafka: one driver for every stage ({@link io.llavastream.worker.StageDriver}, configured by
 * {@link io.llavastream.worker.WorkerConfig}) runs the stage machine of {@code io.llavastream.stage} that
 * {@link io.llavastream.worker.Workers} builds from only that stage's model parts.
 *
 * <p>A record flows as: poll (read_committed) → decode ({@code RecordReader}: a record that cannot be read is
 * dead-lettered with its reason, a registry outage is retried) → submit → step (a batch when full or lingered;
 * decode on every loop) → serialize and size-check the outputs ({@code OutputWriter}) → one transaction with the
 * contiguous finished prefix of each partition, its dead letters and the offsets after it ({@code Ledger}).
 * A failed transaction is aborted and the partitions rewound to their committed offsets; a record that keeps
 * failing is dead-lettered as REPEATED_FAILURE ({@code Attempts}), never retried forever. A machine's previews
 * (the decode stage's token deltas) go out after each step on a producer outside the transaction, best-effort
 * ({@code PreviewPublisher}), acknowledged before the next commit. The vision worker's
 * {@code VisionCacheRestorer} fills its encoder cache from the vision-features partitions it owns.
 */
package io.llavastream.worker;
