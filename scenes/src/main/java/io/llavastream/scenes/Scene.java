package io.llavastream.scenes;

import java.util.List;

/**
 * A generated scene: its shapes, caption and questions. Pixels come from {@link SceneRenderer}.
 *
 * @param id         "s{seed}-{index}", unique per seed and index
 * @param size       width and height in pixels (square)
 * @param background background colour, 0xRRGGBB
 */
public record Scene(String id, long seed, int index, int size, int background, List<SceneObject> objects,
                    String caption, List<Question> questions) {

    public Question question(QuestionType type) {
        return questions.stream().filter(q -> q.type() == type).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("scene " + id + " has no " + type + " question"));
    }
}
