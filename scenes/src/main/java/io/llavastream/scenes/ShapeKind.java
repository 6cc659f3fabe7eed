package io.llavastream.scenes;

/** The kinds of shape a scene can hold; {@link #word()} is how captions name it. */
public enum ShapeKind {
    CIRCLE, SQUARE, TRIANGLE, CROSS;

    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
