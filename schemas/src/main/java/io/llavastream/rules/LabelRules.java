package io.llavastream.rules;

import io.llavastream.schemas.LabelDefinition;
import java.util.regex.Pattern;

/**
 * What a record on the labels topic must be, checked by its writer ({@code labels set}) and by every reader (the
 * vision worker), so that a label the CLI refuses is also one no reader uses.
 */
public final class LabelRules {
    /** A label's name: it becomes part of a topic name ({@code llava.labeled-posts.<label>}) and a search filter. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** The most prompts per label: each is one text-tower run whenever the label set changes. */
    public static final int MAX_PROMPTS = 64;
    /** The longest prompt, in characters. */
    public static final int MAX_PROMPT_CHARS = 512;

    private LabelRules() {
    }

    /** Checks a label's name. @throws IllegalArgumentException naming the bad value and what was expected */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("label name '" + name + "' must be 1 to 64 letters, digits, '.', "
                    + "'_' or '-'");
        }
        return name;
    }

    /**
     * Checks a record read under {@code key}: its name is the key, it has 1 to {@link #MAX_PROMPTS} non-blank prompts
     * of at most {@link #MAX_PROMPT_CHARS} characters, and its threshold is in (0, 1].
     *
     * @throws IllegalArgumentException naming the bad value and what was expected
     */
    public static LabelDefinition check(String key, LabelDefinition d) {
        checkName(d.getLabel());
        if (!d.getLabel().equals(key)) {
            throw new IllegalArgumentException("label record under key '" + key + "' names label '" + d.getLabel()
                    + "'; the key must be the label's name");
        }
        int n = d.getPrompts().size();
        if (n < 1 || n > MAX_PROMPTS) {
            throw new IllegalArgumentException("label '" + key + "' has " + n + " prompts, expected 1 to "
                    + MAX_PROMPTS);
        }
        for (String p : d.getPrompts()) {
            if (p.isBlank() || p.length() > MAX_PROMPT_CHARS) {
                throw new IllegalArgumentException("label '" + key + "' prompt '" + p + "' must be non-blank and at "
                        + "most " + MAX_PROMPT_CHARS + " characters");
            }
        }
        double t = d.getThreshold();
        if (!(t > 0 && t <= 1)) {
            throw new IllegalArgumentException("label '" + key + "' threshold " + t + " must be in (0, 1]");
        }
        return d;
    }
}
