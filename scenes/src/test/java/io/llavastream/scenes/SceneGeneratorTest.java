package io.llavastream.scenes;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class SceneGeneratorTest {
    @Test
    void sceneDependsOnlyOnSeedAndIndex() {
        Scene direct = new SceneGenerator(5).scene(42);
        Scene inRange = new SceneGenerator(5).scenes(40, 5).get(2);
        assertThat(inRange).isEqualTo(direct);
        assertThat(SceneRenderer.png(inRange)).isEqualTo(SceneRenderer.png(direct));
        assertThat(new SceneGenerator(6).scene(42)).isNotEqualTo(direct);
    }

    @Test
    void everySceneHasOneQuestionOfEachTypeAndAConsistentCaption() {
        for (Scene s : new SceneGenerator(11).scenes(0, 300)) {
            assertThat(s.questions()).extracting(Question::type).containsExactly(QuestionType.values());
            assertThat(s.objects()).hasSizeBetween(1, 2);
            assertThat(s.caption()).isEqualTo(SceneGenerator.caption(s.objects()));
            assertThat(s.question(QuestionType.COUNT).answer()).isEqualTo(s.objects().size() == 1 ? "one" : "two");
            if (s.objects().size() == 2) {
                SceneObject a = s.objects().get(0);
                SceneObject b = s.objects().get(1);
                assertThat(List.of(a.placement(), b.placement())).containsExactly(Placement.LEFT, Placement.RIGHT);
                assertThat(a.shape() == b.shape() && a.color() == b.color()).as("two identical shapes").isFalse();
            }
        }
    }

    @Test
    void yesNoAnswersMatchWhatIsInTheScene() {
        for (Scene s : new SceneGenerator(12).scenes(0, 300)) {
            Question q = s.question(QuestionType.YES_NO);
            boolean present = s.objects().stream().anyMatch(o -> q.question().equals(
                    "is there a " + o.color().word() + " " + o.shape().word() + "?"));
            assertThat(q.answer()).isEqualTo(present ? "yes" : "no");
        }
    }

    @Test
    void rendersTheShapeColourAtItsCentre() {
        Scene s = new SceneGenerator(13).scene(0);
        BufferedImage img = SceneRenderer.render(s);
        assertThat(img.getWidth()).isEqualTo(SceneGenerator.SCENE_SIZE);
        for (SceneObject o : s.objects()) {
            assertThat(img.getRGB(o.centerX(), o.centerY()) & 0xFFFFFF).isEqualTo(o.rgb());
        }
    }
}
