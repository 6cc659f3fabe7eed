package io.llavastream.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void burstsOfAnswersGiveTheRateOfWholeBurstsNotOfTheCountsBetweenThem() {
        // 4 bursts of 8 answers, one per second from t = 1 s: 8 answers/s
        List<Long> arrivals = new ArrayList<>();
        for (int b = 1; b <= 4; b++) {
            for (int i = 0; i < 8; i++) {
                arrivals.add(b * SECOND);
            }
        }
        Window w = Window.of(samples(5), arrivals, 32, 8);
        assertThat(w.perSecond()).isCloseTo(8.0, within(1e-9));
    }

    @Test
    void roundsThatManyWorkersFinishTogetherAreCountedWholeNotFromTheirMiddle() {
        // 12 workers x 8 rows finish together every 2 s, spread over 10 ms: 48 answers/s
        List<Long> arrivals = new ArrayList<>();
        for (int round = 1; round <= 3; round++) {
            for (int i = 0; i < 96; i++) {
                arrivals.add(round * 2 * SECOND + i * 100_000L);
            }
        }
        assertThat(Window.of(samples(7), arrivals, 288, 96).perSecond()).isCloseTo(48.0, within(0.5));
    }

    @Test
    void evenArrivalsGiveTheirRate() {
        List<Long> arrivals = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            arrivals.add(SECOND + i * SECOND / 4);  // 4 answers/s
        }
        assertThat(Window.of(samples(12), arrivals, 40, 1).perSecond()).isCloseTo(4.0, within(1e-9));
    }

    @Test
    void aRunTooShortForAWindowIsMeasuredEndToEnd() {
        List<Sample> samples = List.of(sample(0, 0), sample(2 * SECOND, 1));
        Window w = Window.of(samples, List.of(SECOND), 1, 1);
        assertThat(w.perSecond()).isCloseTo(0.5, within(1e-9));
        assertThat(w.from()).isEqualTo(samples.get(0));
        assertThat(w.to()).isEqualTo(samples.get(1));
    }

    @Test
    void theSamplesOfTheWindowAreTheLastOnesBeforeItsEnds() {
        List<Long> arrivals = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            arrivals.add(SECOND + i * SECOND);
        }
        List<Sample> samples = samples(12);
        Window w = Window.of(samples, arrivals, 10, 1);
        assertThat(w.from().nanos()).isEqualTo(SECOND);
        assertThat(w.to().nanos()).isEqualTo(9 * SECOND);
    }

    private static List<Sample> samples(int seconds) {
        List<Sample> s = new ArrayList<>();
        for (int i = 0; i <= seconds; i++) {
            s.add(sample(i * SECOND, 0));
        }
        return s;
    }

    private static Sample sample(long nanos, int answers) {
        return new Sample(nanos, answers, 0, 0, 0, 0, 0, 0, 0);
    }
}
