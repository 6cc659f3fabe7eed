package io.llavastream.scenes;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates scenes of one or two shapes. Scene {@code i} of seed {@code s} depends only on {@code (s, i)}, so any
 * range of a seed can be regenerated on its own (the load generator and the tests rely on this).
 *
 * <p>Two-shape scenes put one shape on the left and one on the right, and never repeat the same colour and shape,
 * so that every question has exactly one answer.
 */
public final class SceneGenerator {
    /** Width and height of every scene, in pixels. */
    public static final int SCENE_SIZE = 64;
    private static final int[] BACKGROUNDS = {0xFFFFFF, 0xF2F2F2, 0xFAF3E6};
    private static final int COLOR_JITTER = 12;

    private final long seed;

    public SceneGenerator(long seed) {
        this.seed = seed;
    }

    /** Scene number {@code index} of this generator's seed. */
    public Scene scene(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("scene index must be >= 0, got " + index);
        }
        Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 1);
        int background = BACKGROUNDS[rnd.nextInt(BACKGROUNDS.length)];
        List<SceneObject> objects = new ArrayList<>(2);
        if (rnd.nextBoolean()) {
            objects.add(object(rnd, Placement.values()[rnd.nextInt(3)], null));
        } else {
            SceneObject left = object(rnd, Placement.LEFT, null);
            objects.add(left);
            objects.add(object(rnd, Placement.RIGHT, left));
        }
        String caption = caption(objects);
        List<Question> questions = SceneQuestions.ask(objects, rnd);
        return new Scene("s" + seed + "-" + String.format("%06d", index), seed, index, SCENE_SIZE, background,
                List.copyOf(objects), caption, questions);
    }

    /** Scenes {@code from} (inclusive) to {@code from + count} (exclusive). */
    public List<Scene> scenes(int from, int count) {
        List<Scene> out = new ArrayList<>(count);
        for (int i = from; i < from + count; i++) {
            out.add(scene(i));
        }
        return out;
    }

    static String caption(List<SceneObject> objects) {
        StringBuilder sb = new StringBuilder(objects.get(0).phrase());
        for (int i = 1; i < objects.size(); i++) {
            sb.append(" and ").append(objects.get(i).phrase());
        }
        return sb.toString();
    }

    private static SceneObject object(Random rnd, Placement placement, SceneObject other) {
        ShapeKind shape;
        ShapeColor color;
        do {
            shape = ShapeKind.values()[rnd.nextInt(ShapeKind.values().length)];
            color = ShapeColor.values()[rnd.nextInt(ShapeColor.values().length)];
        } while (other != null && other.shape() == shape && other.color() == color);
        ShapeSize size = ShapeSize.values()[rnd.nextInt(ShapeSize.values().length)];
        int extent = size.minExtent + rnd.nextInt(size.maxExtent - size.minExtent + 1);
        int cx = placement.centerX + rnd.nextInt(5) - 2;
        int half = (extent + 1) / 2;
        int cy = half + 2 + rnd.nextInt(SCENE_SIZE - 2 * half - 3);
        int rgb = (jitter(rnd, color.r) << 16) | (jitter(rnd, color.g) << 8) | jitter(rnd, color.b);
        return new SceneObject(shape, color, size, placement, cx, cy, extent, rgb);
    }

    private static int jitter(Random rnd, int channel) {
        return Math.max(0, Math.min(255, channel + rnd.nextInt(2 * COLOR_JITTER + 1) - COLOR_JITTER));
    }
}
