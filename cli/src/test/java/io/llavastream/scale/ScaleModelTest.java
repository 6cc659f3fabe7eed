package io.llavastream.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScaleModelTest {
    @Test
    void theDefaultModelIsDecodeBoundAtTheRatesItsFiguresGive() {
        ScaleModel m = ScaleModel.llava15Of7b();
        assertThat(m.visionPerSecond()).isCloseTo(8 * 1000.0 / (2 + 8 * 29.6), within(1e-9));
        assertThat(m.decodePerSecond()).isCloseTo(8 * 1000.0 / (60 * (4.0 + 0.8) + 8 * 15.0), within(1e-9));
        assertThat(m.postsPerSecondPerWorker()).isEqualTo(Math.min(m.visionPerSecond(), m.decodePerSecond()));
        assertThat(m.sizes().zvBytes()).isEqualTo(576 * 1024 * 2);
        assertThat(m.sizes().hvBytes()).isEqualTo(576 * 4096 * 2);
    }

    @Test
    void aLatencyOptionThatIsNotFixedPlusPerItemIsRefusedNamingTheValue() {
        assertThat(LatencyModel.parse("2+29.6")).isEqualTo(new LatencyModel(2, 29.6));
        assertThatThrownBy(() -> LatencyModel.parse("31.6")).hasMessageContaining("'31.6'")
                .hasMessageContaining("FIXED_MS+PER_ITEM_MS");
        assertThatThrownBy(() -> LatencyModel.parse("a+b")).hasMessageContaining("'a+b'");
        assertThatThrownBy(() -> new LatencyModel(-1, 0)).hasMessageContaining("-1");
    }

    @Test
    void theAutomaticTimeScaleLeavesTheMostWorkersTheHeadroomOfTheCeiling() {
        ScaleModel m = ScaleModel.llava15Of7b();
        ScaleConfig c = new ScaleConfig(m, List.of(1, 2, 4), 8, null, null, true, 0.5, Duration.ofSeconds(1), -1);
        RunResult ceiling = new RunResult(4, 0, 32, 32, 0, 0, 5.0, 50, 50, 1, 1, 0, 0, 0, 0, 0, 10);
        double k = ScaleSimulation.autoTimeScale(c, ceiling);
        assertThat(4 * m.postsPerSecondPerWorker() / k).isCloseTo(0.5 * 5.0, within(1e-9));
        RunResult fast = new RunResult(4, 0, 32, 32, 0, 0, 1e6, 50, 50, 1, 1, 0, 0, 0, 0, 0, 10);
        assertThat(ScaleSimulation.autoTimeScale(c, fast)).isEqualTo(1.0);
    }

    @Test
    void workerCountsMustAscendAndFitThePartitions() {
        ScaleModel m = ScaleModel.llava15Of7b();
        assertThatThrownBy(() -> new ScaleConfig(m, List.of(2, 1), 8, null, 1.0, false, 0.5, null, -1))
                .hasMessageContaining("[2, 1]");
        assertThatThrownBy(() -> new ScaleConfig(m, List.of(1, 13), 8, null, 1.0, false, 0.5, null, -1))
                .hasMessageContaining("12");
        assertThatThrownBy(() -> new ScaleConfig(m, List.of(1), 8, null, null, false, 0.5, null, -1))
                .hasMessageContaining("ceiling");
    }

    @Test
    void balancedTaskIdsLandOnPartitionsInTurn() {
        for (int i = 0; i < 48; i++) {
            assertThat(BalancedKeys.partition(BalancedKeys.taskId("p", i, 12), 12)).isEqualTo(i % 12);
        }
    }
}
