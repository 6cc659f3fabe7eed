package io.llavastream.eval;

import java.util.Locale;

/** Exact match, up to case, surrounding whitespace, runs of spaces and a final period. */
final class Normalize {
    private Normalize() {
    }

    static String text(String s) {
        String t = s.toLowerCase(Locale.ROOT).trim().replaceAll("\\s+", " ");
        return t.endsWith(".") ? t.substring(0, t.length() - 1).trim() : t;
    }
}
