package io.llavastream.scenes;

/**
 * One shape in a scene.
 *
 * @param centerX centre column in pixels
 * @param centerY centre row in pixels
 * @param extent  side of the bounding box in pixels
 * @param rgb     the rendered colour, 0xRRGGBB (the named colour plus jitter)
 */
public record SceneObject(ShapeKind shape, ShapeColor color, ShapeSize size, Placement placement,
                          int centerX, int centerY, int extent, int rgb) {

    /** "a large red circle on the left". */
    public String phrase() {
        return "a " + size.word() + " " + color.word() + " " + shape.word() + " " + placement.phrase();
    }
}
