package io.llavastream.model.text;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.ModelDirectory;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The incremental detokenizer on real tokenizers: the demo model's (whole words, cleanup), a LLaMA-style one with
 * byte fallback and merged pieces, and a WordPiece one whose cleanup revises earlier text.
 */
class IncrementalDetokenizerTest {
    /** Ids of the byte-fallback tokenizer, tokenizers/byte-fallback-bpe.json. */
    static final long BOS = 1, EOS = 2, E2 = 3, X82 = 4, XAC = 5, F0 = 6, X9F = 7, X98 = 8, X80 = 9, THE = 12,
            PRICE = 13, IS = 14, FIVE = 15, DOT = 16, CAF = 18, E_ACUTE = 19, PRI = 20, CE = 21, SPACE = 22;

    static Path resource(String name) {
        try {
            return Path.of(IncrementalDetokenizerTest.class.getResource("/tokenizers/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Feeds {@code ids} one at a time: every delta, then finish's last delta on the whole text. */
    static List<String> deltas(PromptTokenizer t, long... ids) {
        IncrementalDetokenizer d = new IncrementalDetokenizer(t, 2);  // small: the id buffer must grow
        List<String> out = new ArrayList<>();
        for (int i = 0; i < ids.length - 1; i++) {
            d.add(ids[i]);
            out.add(d.next());
        }
        d.add(ids[ids.length - 1]);
        out.add(d.finish(t.decode(ids)));
        assertThat(d.tokens()).isEqualTo(ids.length);
        return out;
    }

    @Test
    void theDemoModelsDeltasConcatenateToTheDecodedTextWordByWord() {
        try (PromptTokenizer t = new PromptTokenizer(ModelDirectory.open(ModelDirectory.bundled(), List.of()))) {
            long[] prompt = t.encode("a red circle is on the left. is there a blue square?");
            long[] ids = Arrays.copyOf(prompt, prompt.length + 1);
            ids[prompt.length] = EOS;  // </s> in the demo vocabulary too
            List<String> deltas = deltas(t, ids);
            assertThat(String.join("", deltas)).isEqualTo(t.decode(ids))
                    .isEqualTo("a red circle is on the left. is there a blue square?");
            assertThat(deltas).startsWith("", "a", " red", " circle");  // <s> adds nothing
            assertThat(deltas).contains(".", "?").endsWith("");  // cleanup's " ." arrives as "."; </s> adds nothing
        }
    }

    @Test
    void aMultiByteCharacterFromByteFallbackIsHeldBackUntilItsLastByte() {
        try (PromptTokenizer t = new PromptTokenizer(resource("byte-fallback-bpe.json"))) {
            long[] ids = {BOS, THE, PRICE, IS, FIVE, E2, X82, XAC, DOT, CAF, E_ACUTE, SPACE, F0, X9F, X98, X80, EOS};
            List<String> deltas = deltas(t, ids);
            assertThat(deltas).containsExactly("", "the", " price", " is", " 5", "", "", "\u20ac", ".", " caf",
                    "\u00e9", " ", "", "", "", "\uD83D\uDE00", "");
            assertThat(String.join("", deltas)).isEqualTo(t.decode(ids)).isEqualTo("the price is 5\u20ac. caf\u00e9 "
                    + "\uD83D\uDE00");
            assertThat(deltas).noneMatch(s -> s.indexOf('\uFFFD') >= 0);
        }
    }

    @Test
    void piecesMergedIntoOneWordArriveAsTheyAreGenerated() {
        try (PromptTokenizer t = new PromptTokenizer(resource("byte-fallback-bpe.json"))) {
            assertThat(deltas(t, PRI, CE, IS, PRI, CE, EOS)).containsExactly("pri", "ce", " is", " pri", "ce", "");
        }
        try (PromptTokenizer t = new PromptTokenizer(resource("wordpiece-cleanup.json"))) {
            long a = 7, red = 8, dish = 9, ball = 10, dot = 11;
            List<String> deltas = deltas(t, a, red, dish, ball, dot, EOS);
            assertThat(deltas).containsExactly("a", " red", "dish", " ball", ".", "");
            assertThat(String.join("", deltas)).isEqualTo("a reddish ball.");
        }
    }

    @Test
    void aLastTokenThatAddsTextEndsTheStreamWithThatText() {
        try (PromptTokenizer t = new PromptTokenizer(resource("byte-fallback-bpe.json"))) {
            assertThat(deltas(t, THE, PRICE)).containsExactly("the", " price");  // LENGTH: no EOS
            assertThat(deltas(t, EOS)).containsExactly("");  // nothing generated but EOS: one empty final delta
        }
    }

    @Test
    void textTheTokenizerRevisesIsHeldBackAndFinishRefusesToPretendTheDeltasStillAddUp() {
        // a decoder that rewrites the whole text after fusing it: "it's" becomes "it is" once the "s" arrives
        try (PromptTokenizer t = new PromptTokenizer(resource("revising.json"))) {
            long it = 3, quote = 4, s = 5;
            assertThat(t.decode(new long[] {it, quote})).isEqualTo("it'");
            assertThat(t.decode(new long[] {it, quote, s})).isEqualTo("it is");
            IncrementalDetokenizer d = new IncrementalDetokenizer(t, 4);
            d.add(it);
            assertThat(d.next()).isEqualTo("it");
            d.add(quote);
            assertThat(d.next()).isEqualTo("'");
            d.add(s);
            assertThat(d.next()).as("'it is' does not start with the \"it'\" given out").isEmpty();
            assertThat(d.sent()).isEqualTo("it'");
            assertThat(d.finish("it is")).isNull();
        }
    }
}
