/**
 * Prometheus metrics of the long-running processes: {@link io.llavastream.metrics.MetricsServer} owns one
 * Micrometer registry and serves it on {@code /metrics}; {@link io.llavastream.metrics.StageMeters} binds a stage
 * worker's counts to it. See docs/metrics.md.
 */
package io.llavastream.metrics;
