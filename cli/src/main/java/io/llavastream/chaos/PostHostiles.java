package io.llavastream.chaos;

import static io.llavastream.chaos.CorpusContext.NEAR_2_31;
import static io.llavastream.chaos.CorpusContext.UNREGISTERED_ID;
import static io.llavastream.chaos.CorpusContext.utf8;
import static io.llavastream.rules.DeadLetterReason.*;

import io.llavastream.pipeline.PngPosts;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.PromptRule;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.StageTimings;
import io.llavastream.topics.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Hostile records on {@link Topics#POSTS}, which the topology reads: broken wire format, Avro length and count
 * bombs, posts the rules refuse, and posts whose images are broken or bombs (those reach the vision worker).
 */
final class PostHostiles {
    /** The topology's default max.image.bytes; one byte more is refused. */
    static final int MAX_IMAGE_BYTES = 8 * 1024 * 1024;
    /** A record this close to the 16 MiB limit: its dead letter cannot carry it whole. */
    static final int NEAR_LIMIT_SLACK = 256 * 1024;
    /** What the zTXt bomb inflates to. */
    static final long ZTXT_INFLATED = 1L << 30;

    private final CorpusContext c;
    private final List<HostileRecord> out = new ArrayList<>();

    private PostHostiles(CorpusContext c) {
        this.c = c;
    }

    static List<HostileRecord> build(CorpusContext c) {
        PostHostiles p = new PostHostiles(c);
        p.wireFormat();
        p.avroBombs();
        p.refusedByRules();
        p.badImages();
        p.oddKeys();
        return p.out;
    }

    private void wireFormat() {
        byte[] good = post("wrong-magic-byte", c.freshPng());
        byte[] wrongMagic = good.clone();
        wrongMagic[0] = 1;
        add("tombstone", null, null, deadLetter(NULL_VALUE), "no value at all (a delete on a topic of posts)");
        add("empty-value", null, new byte[0], deadLetter(NOT_AVRO), "a value of 0 bytes");
        add("not-avro", null, utf8("<html><body>not a post</body></html>"), deadLetter(NOT_AVRO),
                "HTML instead of Avro");
        add("wrong-magic-byte", null, wrongMagic, deadLetter(NOT_AVRO), "a valid post with magic byte 1, not 0");
        add("unknown-schema-id", null, AvroPrefix.header(UNREGISTERED_ID).raw(Arrays.copyOfRange(good, 5,
                good.length)).bytes(), deadLetter(UNKNOWN_SCHEMA_ID), "a post's bytes under schema id "
                + UNREGISTERED_ID + ", which the registry does not know");
        add("schema-id-of-answer", null, c.encode(Topics.ANSWERS, answer(c.postId("schema-id-of-answer"))),
                deadLetter(NOT_AVRO), "a valid Answer record, with the Answer schema's id, on the posts topic");
        add("truncated-avro", null, Arrays.copyOf(good, good.length - 2), deadLetter(NOT_AVRO),
                "a valid post without its last two bytes (the question and attributes): it ends early");
        add("truncated-in-image-bytes", null, Arrays.copyOf(good, good.length * 3 / 5), deadLetter(AVRO_LIMIT),
                "the first 60% of a valid post: its image's bytes length claims more than the record holds");
    }

    private void avroBombs() {
        add("images-count-bomb", null, postPrefix("images-count-bomb").length(NEAR_2_31).string("image/png").bytes(),
                deadLetter(AVRO_LIMIT), "images array count 2^31-16, then one item's first field");
        add("images-count-beyond-int", null, postPrefix("images-count-beyond-int").length(1L << 40)
                .string("image/png").bytes(), deadLetter(AVRO_LIMIT), "images array count 2^40");
        add("images-negative-block-count", null, postPrefix("images-negative-block-count").length(-NEAR_2_31)
                .length(64).string("image/png").bytes(), deadLetter(AVRO_LIMIT),
                "images array block count -(2^31-16) with a block size of 64 bytes (Avro's sized-block form)");
        byte[] png = c.freshPng();
        add("attributes-map-bomb", null, postPrefix("attributes-map-bomb").length(1).string("image/png")
                .length(png.length).raw(png).union(0).length(0).union(0).length(NEAR_2_31).string("k").bytes(),
                deadLetter(AVRO_LIMIT), "a valid post up to attributes, a map count of 2^31-16");
        add("id-string-length-bomb", null, AvroPrefix.header(c.schemaId(Topics.POSTS)).length(NEAR_2_31 - 1)
                .raw(utf8("hostile")).bytes(), deadLetter(AVRO_LIMIT), "post id string length 2^31-17");
        add("image-bytes-length-bomb", null, postPrefix("image-bytes-length-bomb").length(1).string("image/png")
                .length(NEAR_2_31 - 1).raw(ImageBombs.PNG_SIGNATURE).bytes(), deadLetter(AVRO_LIMIT),
                "image data bytes length 2^31-17");
    }

    private void refusedByRules() {
        List<byte[]> many = new ArrayList<>(Collections.nCopies(17, c.freshPng()));
        Post question = PngPosts.of(c.postId("question-too-long"), "chaos", c.freshPng());
        question.setQuestion("what? ".repeat(PromptRule.DEFAULT_MAX_QUESTION_CHARS / 6 + 1));
        add("no-images", null, c.encode(Topics.POSTS, PngPosts.of(c.postId("no-images"), "chaos", List.of())),
                deadLetter(NO_IMAGES), "a post with an empty images array");
        add("too-many-images", null, post("too-many-images", many), deadLetter(TOO_MANY_IMAGES),
                "17 images, more than max.images.per.post = 16");
        add("question-too-long", null, c.encode(Topics.POSTS, question), deadLetter(QUESTION_TOO_LONG),
                "a question of " + question.getQuestion().length() + " chars, over max.question.chars = "
                        + PromptRule.DEFAULT_MAX_QUESTION_CHARS);
        add("oversized-image", null, post("oversized-image", ImageBombs.corruptPng(11, MAX_IMAGE_BYTES - 7)),
                deadLetter(IMAGE_TOO_LARGE), "an image of max.image.bytes + 1 = " + (MAX_IMAGE_BYTES + 1)
                        + " bytes");
        int nearLimit = Topics.MAX_RECORD_BYTES - NEAR_LIMIT_SLACK;
        add("near-record-limit", null, post("near-record-limit", ImageBombs.corruptPng(12, nearLimit)),
                deadLetter(IMAGE_TOO_LARGE), "a post of about 16 MiB - 256 KiB: the record fits, a dead letter "
                        + "carrying all of it would not");
    }

    private void badImages() {
        add("corrupt-image", "corrupt-image", post("corrupt-image", ImageBombs.corruptPng(13, 4096)),
                deadLetter(CORRUPT_IMAGE, "vision"), "PNG signature, then 4 KiB of noise");
        add("truncated-png", "truncated-png", post("truncated-png", ImageBombs.truncated(c.freshPng())),
                deadLetter(CORRUPT_IMAGE, "vision"), "the first half of a valid PNG");
        add("png-ztxt-bomb", "png-ztxt-bomb", post("png-ztxt-bomb",
                        ImageBombs.zTxtBomb(c.freshPng(), ZTXT_INFLATED)),
                Expectation.deadLetterOrCaptioned(CORRUPT_IMAGE, "vision"),
                "a valid 64x64 PNG with a zTXt chunk that inflates to 1 GiB");
        add("png-declares-100000x100000", "png-declares-100000x100000", post("png-declares-100000x100000",
                ImageBombs.pngDeclaring(100_000, 100_000)), deadLetter(IMAGE_TOO_LARGE, "vision"),
                "a PNG whose header declares 100000 x 100000 pixels (30 GB as RGB)");
        add("gif-huge-logical-screen", "gif-huge-logical-screen", post("gif-huge-logical-screen",
                        ImageBombs.gifWithLogicalScreen(65_535, 65_535)),
                Expectation.deadLetterOrCaptioned(IMAGE_TOO_LARGE, "vision"),
                "a 1x1 GIF frame on a 65535 x 65535 logical screen (the canvas Pillow composes on)");
    }

    private void oddKeys() {
        String id = c.postId("null-key");
        out.add(new HostileRecord("posts/null-key", Topics.POSTS.name(), null,
                c.encode(Topics.POSTS, PngPosts.of(id, "chaos", c.freshPng())), id, Expectation.captioned(),
                "a valid post with a null key"));
        byte[] hugeKey = new byte[4 * 1024 * 1024];
        Arrays.fill(hugeKey, (byte) 'k');
        out.add(new HostileRecord("posts/huge-key-not-avro", Topics.POSTS.name(), hugeKey,
                utf8("not avro either"), null, deadLetter(NOT_AVRO), "a 4 MiB key and a value that is not Avro"));
    }

    /** Header and every field of a post before its images: id, source, url, author, title, body, created_at. */
    private AvroPrefix postPrefix(String name) {
        return AvroPrefix.header(c.schemaId(Topics.POSTS)).string(c.postId(name)).string("chaos")
                .union(0).union(0).union(0).string("").longValue(Instant.now().toEpochMilli());
    }

    private byte[] post(String name, byte[] png) {
        return post(name, List.of(png));
    }

    private byte[] post(String name, List<byte[]> pngs) {
        return c.encode(Topics.POSTS, PngPosts.of(c.postId(name), "chaos", pngs));
    }

    private Answer answer(String postId) {
        return Answer.newBuilder().setTask(c.task(postId, "0".repeat(64))).setText("a red circle")
                .setTokenIds(List.of(5L, 6L)).setFinishReason(FinishReason.EOS).setModelId(c.model().modelId())
                .setTimings(StageTimings.newBuilder().build()).setError(null).setCompletedAt(Instant.now()).build();
    }

    private static Expectation deadLetter(DeadLetterReason reason) {
        return Expectation.deadLetter(reason, "topology");
    }

    private static Expectation deadLetter(DeadLetterReason reason, String by) {
        return Expectation.deadLetter(reason, by);
    }

    /** Adds "posts/&lt;name&gt;"; {@code postIdName} names the post whose tasks may carry the dead letter. */
    private void add(String name, String postIdName, byte[] value, Expectation expected, String what) {
        out.add(new HostileRecord("posts/" + name, Topics.POSTS.name(), utf8(c.postId(name)), value,
                postIdName == null ? null : c.postId(postIdName), expected, what));
    }
}
