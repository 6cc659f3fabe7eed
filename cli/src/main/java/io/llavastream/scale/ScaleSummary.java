package io.llavastream.scale;

import java.util.Map;

/**
 * The report's last line (SIMULATION): the model and its sources, the bytes per post per hop, the ceiling (the
 * largest worker count with no compute: what Kafka and the runtime carry on this machine), the point where Kafka
 * becomes the limit in workers per stage, at the simulation's speed and at the GPUs' real speed, and the scaling.
 *
 * @param ceiling                 the ceiling run, or null when it was not run
 * @param kafkaLimitWorkers       ceiling posts/s over the first run's posts/s per worker: how many workers per stage
 *                                the broker carries at the simulated speed (null without a ceiling)
 * @param kafkaLimitWorkersAtGpuSpeed the same at the modelled GPU speed (time scale 1)
 * @param targetsMet              every run with a target (2 and 4 workers) meets it; null if there is none
 */
public record ScaleSummary(String type, boolean simulation, String note, Map<String, Object> model,
                           double timeScale, boolean timeScaleAuto, double gpuPostsPerSecondPerWorker,
                           double simPostsPerSecondPerWorker, HopBytes hopBytes, long hopBytesProducedPerPost,
                           long hopBytesConsumedPerPost, RunResult ceiling, Double ceilingBrokerMbPerSecond,
                           Double kafkaLimitWorkers, Double kafkaLimitWorkersAtGpuSpeed,
                           Map<String, Double> scaling, Boolean targetsMet) {
}
