package io.llavastream.scenes;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Asks one question of each {@link QuestionType} about a scene's objects, with its one-word answer. */
final class SceneQuestions {
    private SceneQuestions() {
    }

    static List<Question> ask(List<SceneObject> objects, Random rnd) {
        SceneObject target = objects.get(rnd.nextInt(objects.size()));
        String where = target.placement().phrase();
        List<Question> qs = new ArrayList<>(QuestionType.values().length);
        qs.add(new Question(QuestionType.COLOR, "what color is the shape " + where + "?", target.color().word()));
        qs.add(new Question(QuestionType.SHAPE, "what shape is " + where + "?", target.shape().word()));
        qs.add(new Question(QuestionType.COUNT, "how many shapes are there?", objects.size() == 1 ? "one" : "two"));
        qs.add(new Question(QuestionType.POSITION, "where is the " + target.color().word() + " " + target.shape().word()
                + "?", target.placement().word()));
        qs.add(new Question(QuestionType.SIZE, "is the " + target.color().word() + " " + target.shape().word()
                + " large or small?", target.size().word()));
        qs.add(yesNo(objects, rnd));
        return List.copyOf(qs);
    }

    private static Question yesNo(List<SceneObject> objects, Random rnd) {
        if (rnd.nextBoolean()) {
            SceneObject o = objects.get(rnd.nextInt(objects.size()));
            return new Question(QuestionType.YES_NO, isThere(o.color(), o.shape()), "yes");
        }
        ShapeKind shape;
        ShapeColor color;
        do {
            shape = ShapeKind.values()[rnd.nextInt(ShapeKind.values().length)];
            color = ShapeColor.values()[rnd.nextInt(ShapeColor.values().length)];
        } while (present(objects, shape, color));
        return new Question(QuestionType.YES_NO, isThere(color, shape), "no");
    }

    private static boolean present(List<SceneObject> objects, ShapeKind shape, ShapeColor color) {
        return objects.stream().anyMatch(o -> o.shape() == shape && o.color() == color);
    }

    private static String isThere(ShapeColor color, ShapeKind shape) {
        return "is there a " + color.word() + " " + shape.word() + "?";
    }
}
