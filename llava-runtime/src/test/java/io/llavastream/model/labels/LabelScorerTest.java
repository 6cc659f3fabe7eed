package io.llavastream.model.labels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.TestModels;
import io.llavastream.model.vision.L2;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.scenes.ShapeKind;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The zero-shot scorer on the demo model's real text and vision towers. */
class LabelScorerTest {
    static LlavaModel model;
    static double scale;

    @BeforeAll
    static void load() {
        model = LlavaModel.load(TestModels.demo(), EngineOptions.cpu());
        scale = model.directory().config().clipText().logitScale();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static List<LabelPrompts> shapes(double threshold) {
        return java.util.Arrays.stream(ShapeKind.values()).map(k -> new LabelPrompts(k.word(),
                List.of("a large " + k.word(), "a small " + k.word()), threshold)).toList();
    }

    static float[] embedding(Scene s) {
        return model.vision().encode(model.pixelValues(SceneRenderer.png(s)), 1).normalizedEmbedding(0);
    }

    @Test
    void theLogitScaleIsTheExpOfTheConfigsLogSpaceValue() {
        assertThat(scale).isCloseTo(Math.exp(4.1694), within(1e-9));
    }

    @Test
    void aLabelsEmbeddingIsTheNormalisedMeanOfItsPromptsNormalisedEmbeddings() {
        float[] a = model.textEncoder().embed("a large circle");
        float[] b = model.textEncoder().embed("a small circle");
        float[] mean = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            mean[i] = (a[i] + b[i]) / 2;
        }
        L2.normalize(mean);
        float[] got = LabelScorer.ensemble(List.of("a large circle", "a small circle"), model.textEncoder());
        for (int i = 0; i < mean.length; i++) {
            assertThat(got[i]).isCloseTo(mean[i], within(1e-5f));
        }
    }

    @Test
    void scoresAreASoftmaxOfTheScaledCosines() {
        LabelScorer s = LabelScorer.build(shapes(0.5), model.textEncoder(), scale);
        float[] image = embedding(new SceneGenerator(4242).scene(0));
        List<LabelScore> scores = s.scores(image);
        assertThat(scores.stream().mapToDouble(LabelScore::score).sum()).isCloseTo(1.0, within(1e-5));
        float[] c = LabelScorer.ensemble(shapes(0.5).get(0).prompts(), model.textEncoder());
        float[] q = LabelScorer.ensemble(shapes(0.5).get(1).prompts(), model.textEncoder());
        double ratio = scores.get(0).score() / scores.get(1).score();
        assertThat(Math.log(ratio)).isCloseTo(scale * (L2.dot(c, image) - L2.dot(q, image)), within(1e-3));
    }

    @Test
    void aSingleObjectSceneCarriesItsShapeAndOnlyLabelsAtTheirThresholdAreCarried() {
        SceneGenerator gen = new SceneGenerator(4242);
        Scene single = java.util.stream.IntStream.range(0, 50).mapToObj(gen::scene)
                .filter(x -> x.objects().size() == 1).findFirst().orElseThrow();
        float[] image = embedding(single);
        LabelScorer s = LabelScorer.build(shapes(0.5), model.textEncoder(), scale);
        assertThat(s.carried(image)).extracting(LabelScore::label)
                .containsExactly(single.objects().get(0).shape().word());
        assertThat(LabelScorer.build(shapes(1.0), model.textEncoder(), scale).carried(image)).isEmpty();
    }

    @Test
    void anEmptySetScoresNothingAndBadInputsAreRefused() {
        assertThat(LabelScorer.empty().scores(new float[] {1, 0})).isEmpty();
        assertThat(LabelScorer.empty().best(new float[] {1, 0})).isNull();
        assertThatThrownBy(() -> new LabelPrompts("x", List.of(), 0.5)).hasMessageContaining("one or more");
        assertThatThrownBy(() -> new LabelPrompts("x", List.of("a"), 1.5)).hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> LabelScorer.build(shapes(0.5), model.textEncoder(), 0))
                .hasMessageContaining("positive");
    }
}
