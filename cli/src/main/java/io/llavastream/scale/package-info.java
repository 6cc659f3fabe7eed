/**
 * {@code bench scale}: a SIMULATION of the pipeline at LLaVA-1.5-7B sizes. The stage workers are the real Kafka
 * runtime ({@code io.llavastream.worker.StageDriver}: consume read_committed, batch, produce and commit offsets in
 * one transaction) over simulated {@code io.llavastream.stage.StageMachine}s whose records have the real tensor
 * sizes and whose compute is a sleep from a latency model built on published GPU figures ({@link
 * io.llavastream.scale.ScaleModel}, each figure cited there). It measures Kafka and the runtime, not a GPU: how
 * posts/s grows with 1, 2 and 4 workers per stage on one embedded broker, and where the broker's byte rate caps it.
 * It reads and writes only the {@code Topics.BENCH_SCALE} topics (and the dead-letter topic).
 */
package io.llavastream.scale;
