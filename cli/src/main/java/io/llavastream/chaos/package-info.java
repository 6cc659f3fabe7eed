/**
 * Fault and chaos tooling: a corpus of hostile records for every topic a process reads ({@link
 * io.llavastream.chaos.HostileCorpus}), written by a plain Kafka client as any producer could; the multi-process
 * pipeline as separate JVMs that can be killed, restarted and watched through their status files ({@link
 * io.llavastream.chaos.ProcessPipeline}); and the chaos run itself ({@link io.llavastream.chaos.ChaosRun}), which
 * sends posts, kills workers with SIGKILL while they have work in flight, restarts the broker, writes the corpus,
 * and reports posts in and out, losses, duplicates, dead letters by reason and each process's heap
 * ({@link io.llavastream.chaos.ChaosReport}). {@code ./llava-stream chaos} runs it.
 */
package io.llavastream.chaos;
