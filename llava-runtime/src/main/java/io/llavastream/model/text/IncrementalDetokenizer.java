package io.llavastream.model.text;

import java.util.Arrays;

/**
 * Turns one sequence's generated ids into text deltas as they come, for a live preview: after each id, the text of
 * all ids so far ({@link PromptTokenizer#decode}, special tokens skipped) minus the text already given out. Text
 * that may still change is held back until a later id settles it: a trailing U+FFFD (a byte-fallback character
 * whose remaining bytes have not been generated yet) and any text when the tokenizer has revised what was given
 * out (a decoder whose cleanup rewrites earlier spaces, such as WordPiece's {@code " ' "}).
 *
 * <p>The deltas plus {@link #finish}'s last delta concatenate to the final text exactly, unless the tokenizer
 * revised text already given out: then {@link #finish} says so and the caller starts over with the whole text.
 * One decode of the ids so far per call (no window bookkeeping): answers are short. Not thread-safe.
 */
public final class IncrementalDetokenizer {
    private static final char REPLACEMENT = '\uFFFD';

    private final PromptTokenizer tokenizer;
    private long[] ids;
    private int count;
    /** The text given out so far: the concatenation of every delta returned. */
    private String sent = "";

    /** A detokenizer for one sequence of up to about {@code expectedTokens} ids (it grows past that). */
    public IncrementalDetokenizer(PromptTokenizer tokenizer, int expectedTokens) {
        this.tokenizer = tokenizer;
        this.ids = new long[Math.max(1, expectedTokens)];
    }

    /** Appends a generated id; {@link #next} then gives the text it completed. */
    public void add(long id) {
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, 2 * count);
        }
        ids[count++] = id;
    }

    /** Ids added so far. */
    public int tokens() {
        return count;
    }

    /** The text given out so far (every delta concatenated). */
    public String sent() {
        return sent;
    }

    /**
     * The text the ids added since the last call complete: possibly empty (a special token, part of a multi-byte
     * character, or text the tokenizer revised and that waits for {@link #finish}).
     */
    public String next() {
        String text = tokenizer.decode(Arrays.copyOf(ids, count));
        int end = text.length();
        while (end > sent.length() && text.charAt(end - 1) == REPLACEMENT) {
            end--;
        }
        if (end <= sent.length() || !text.startsWith(sent)) {
            return "";
        }
        String delta = text.substring(sent.length(), end);
        sent = text.substring(0, end);
        return delta;
    }

    /**
     * The last delta, given {@code finalText}, the text of all ids (the answer's text, decoded once by the caller):
     * what follows the text given out so far. Null when {@code finalText} does not start with what was given out
     * (the tokenizer revised it): no delta can make the concatenation equal, and the caller starts over.
     */
    public String finish(String finalText) {
        if (!finalText.startsWith(sent)) {
            return null;
        }
        String delta = finalText.substring(sent.length());
        sent = finalText;
        return delta;
    }
}
