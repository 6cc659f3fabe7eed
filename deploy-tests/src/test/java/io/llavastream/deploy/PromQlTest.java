package io.llavastream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PromQlTest {
    @Test
    void metricNamesSkipLabelsGroupingsRangesNumbersAndFunctions() {
        assertThat(PromQl.metricNames("histogram_quantile(0.95, sum by (stage, le) "
                + "(rate(llava_request_queue_time_seconds_bucket{stage=~\"vi.+\"}[$__rate_interval])))"))
                .containsExactly("llava_request_queue_time_seconds_bucket");
        assertThat(PromQl.metricNames("sum(rate(a_total[5m])) / clamp_min(sum(rate(a_total[5m])) + "
                + "sum(rate(b_total[5m])), 1e-9) > 0")).containsExactly("a_total", "b_total");
        assertThat(PromQl.metricNames("sum by (topic) (kafka_consumer_fetch_manager_records_lag"
                + "{topic=~\"llava\\\\..+\"})")).containsExactly("kafka_consumer_fetch_manager_records_lag");
    }

    @Test
    void aMisspelledFunctionIsAnErrorNamingIt() {
        assertThatThrownBy(() -> PromQl.metricNames("sume(rate(x[1m]))")).hasMessageContaining("sume");
    }

    @Test
    void aStrayWordCountsAsAMetricName() {
        assertThat(PromQl.metricNames("sum(llava_requests_running) llava_typo")).contains("llava_typo");
    }
}
