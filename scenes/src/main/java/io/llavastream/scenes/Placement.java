package io.llavastream.scenes;

/**
 * Horizontal placement of a shape. {@link #centerX} is the nominal centre column in a 64-pixel-wide scene; the
 * generator jitters it by up to 2 pixels.
 */
public enum Placement {
    LEFT("on the left", 16), CENTER("in the center", 32), RIGHT("on the right", 48);

    final String phrase;
    final int centerX;

    Placement(String phrase, int centerX) {
        this.phrase = phrase;
        this.centerX = centerX;
    }

    /** The one-word answer to a "where is" question. */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The phrase a caption uses, e.g. "on the left". */
    public String phrase() {
        return phrase;
    }
}
