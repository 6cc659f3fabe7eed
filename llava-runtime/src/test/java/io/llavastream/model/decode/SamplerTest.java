package io.llavastream.model.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
    final float[] logits = {0f, 3f, 2.9f, -5f, 1f};

    @Test
    void greedyPicksTheLargestLogit() {
        assertThat(new Sampler(SamplingParams.greedy(4)).next(logits)).isEqualTo(1);
    }

    @Test
    void sameSeedGivesSameSamples() {
        SamplingParams p = new SamplingParams(4, 1f, 1f, 42);
        Sampler a = new Sampler(p);
        Sampler b = new Sampler(p);
        for (int i = 0; i < 50; i++) {
            assertThat(a.next(logits)).isEqualTo(b.next(logits));
        }
    }

    @Test
    void topPKeepsOnlyTheNucleus() {
        // softmax of the logits: tokens 1 and 2 hold ~0.86 of the mass, so top-p 0.8 never draws 0, 3 or 4
        Sampler s = new Sampler(new SamplingParams(4, 1f, 0.8f, 7));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            seen.add(s.next(logits));
        }
        assertThat(seen).containsExactlyInAnyOrder(1, 2);
    }

    @Test
    void highTemperatureReachesBeyondTheTopTwo() {
        Sampler s = new Sampler(new SamplingParams(4, 5f, 1f, 7));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            seen.add(s.next(logits));
        }
        assertThat(seen).contains(0, 4);
    }

    @Test
    void rejectsInvalidParameters() {
        assertThatThrownBy(() -> new SamplingParams(0, 0f, 1f, 0)).hasMessageContaining("maxNewTokens must be >= 1");
        assertThatThrownBy(() -> new SamplingParams(4, -1f, 1f, 0)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new SamplingParams(4, 1f, 0f, 0)).hasMessageContaining("topP must be in (0, 1]");
    }

    @Test
    void topTwoGapIsTheMarginOfTheGreedyChoice() {
        assertThat(Sampler.topTwoGap(logits)).isEqualTo(0.1f, org.assertj.core.data.Offset.offset(1e-6f));
    }
}
