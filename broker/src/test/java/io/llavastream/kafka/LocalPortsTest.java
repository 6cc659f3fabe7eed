package io.llavastream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Picking the broker's and the controller's ports. */
class LocalPortsTest {
    @Test
    void theControllersPortIsNeverTheBrokersEvenWhenTheOsHandsTheSamePortBack() {
        for (int i = 0; i < 200; i++) {
            int broker = LocalPorts.free();
            assertThat(LocalPorts.freeOtherThan(broker)).isNotEqualTo(broker).isBetween(1, 65535);
        }
    }
}
