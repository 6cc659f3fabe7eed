package io.llavastream.scenes;

/** Size classes; the extent is the side of the shape's bounding box in pixels of a 64x64 scene. */
public enum ShapeSize {
    SMALL(14, 18), LARGE(25, 29);

    final int minExtent;
    final int maxExtent;

    ShapeSize(int minExtent, int maxExtent) {
        this.minExtent = minExtent;
        this.maxExtent = maxExtent;
    }

    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
