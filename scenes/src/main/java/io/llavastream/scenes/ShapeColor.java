package io.llavastream.scenes;

/** The named colours; each is rendered with a small per-channel jitter around its RGB value (0-255). */
public enum ShapeColor {
    RED(215, 40, 40), GREEN(40, 165, 60), BLUE(40, 80, 215), YELLOW(225, 200, 35), PURPLE(135, 55, 175), ORANGE(240, 130, 25);

    final int r;
    final int g;
    final int b;

    ShapeColor(int r, int g, int b) {
        this.r = r;
        this.g = g;
        this.b = b;
    }

    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
