package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.scenes.Placement;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneObject;
import io.llavastream.scenes.ShapeColor;
import io.llavastream.scenes.ShapeKind;
import io.llavastream.scenes.ShapeSize;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The demo's label prompts are zero-shot: the CLIP text tower was trained on scene captions only
 * (tools/train/train_demo.py, clip_step), and no caption the scene generator can write equals a prompt or even
 * contains a prompt's words in a row. Every caption is built from object phrases "a SIZE COLOUR SHAPE PLACE"
 * (SceneObject.phrase), alone or two joined by "and" (SceneGenerator.caption): all of them are enumerated here,
 * with the place-less texts the CLIP tuning for labels scores images against (tools/train/tune_clip.py).
 */
class LabelPromptsUnseenTest {
    static List<String> phrases() {
        List<String> out = new ArrayList<>();
        for (ShapeSize size : ShapeSize.values()) {
            for (ShapeColor color : ShapeColor.values()) {
                for (ShapeKind shape : ShapeKind.values()) {
                    for (Placement p : Placement.values()) {
                        out.add(new SceneObject(shape, color, size, p, 0, 0, 0, 0).phrase());
                    }
                }
            }
        }
        return out;
    }

    /** Every caption: one object anywhere, or a left object and a right one. */
    static Set<String> captions() {
        Set<String> out = new HashSet<>(phrases());
        List<String> left = phrases().stream().filter(p -> p.endsWith("on the left")).toList();
        List<String> right = phrases().stream().filter(p -> p.endsWith("on the right")).toList();
        for (String l : left) {
            for (String r : right) {
                out.add(l + " and " + r);
            }
        }
        return out;
    }

    /**
     * Every text the CLIP tuning for labels (tools/train/tune_clip.py) scores images against, besides the captions:
     * object phrases without their place ("a large red circle"), alone or two joined by "and" in either order.
     * They only serve as targets there (the text tower stays frozen), but no prompt may be a run of their words
     * either.
     */
    static Set<String> tuningTexts() {
        Set<String> out = new HashSet<>(captions());
        List<String> placeless = phrases().stream().map(LabelPromptsUnseenTest::withoutPlace).distinct().toList();
        out.addAll(placeless);
        for (String a : placeless) {
            for (String b : placeless) {
                out.add(a + " and " + b);
            }
        }
        return out;
    }

    private static String withoutPlace(String phrase) {
        for (Placement p : Placement.values()) {
            if (phrase.endsWith(" " + p.phrase())) {
                return phrase.substring(0, phrase.length() - p.phrase().length() - 1);
            }
        }
        throw new IllegalArgumentException("an object phrase without a known place: '" + phrase + "'");
    }

    @Test
    void theEnumerationCoversTheGeneratorsCaptions() {
        Set<String> all = captions();
        for (Scene s : new SceneGenerator(7).scenes(0, 2000)) {  // the training seed
            assertThat(all).contains(s.caption());
        }
    }

    @Test
    void noDemoPromptIsATrainingTextOrARunOfWordsInOne() {
        Set<String> all = tuningTexts();
        for (String shape : DemoLabels.SHAPES) {
            for (String prompt : DemoLabels.prompts(shape)) {
                assertThat(all).as("a caption equal to the prompt").doesNotContain(prompt);
                String words = " " + prompt + " ";
                assertThat(all).as("captions containing '" + prompt + "'")
                        .noneMatch(c -> (" " + c + " ").contains(words));
            }
        }
    }

    @Test
    void theDemoLabelsAreTheGeneratorsShapes() {
        assertThat(DemoLabels.SHAPES).containsExactlyElementsOf(
                java.util.Arrays.stream(ShapeKind.values()).map(ShapeKind::word).toList());
    }
}
