package io.llavastream.topology;

import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.topics.Topics;
import java.nio.charset.StandardCharsets;

/**
 * How much text a post carries into its {@link io.llavastream.schemas.CaptionedPost}, and how much may fit: the
 * captioned post holds the body twice (body and rendered_body) plus title, url, author and image urls once, and
 * needs {@link #CAPTION_ROOM_BYTES} for the captions, all within {@link Topics#CAPTIONED_POSTS}'s record limit
 * ({@link RecordLimits}). Touches no topic.
 */
final class PostText {
    /** Room kept in a captioned post for its captions and fixed fields. */
    static final int CAPTION_ROOM_BYTES = 64 * 1024;

    private PostText() {
    }

    /** UTF-8 bytes of the text a captioned post copies, the body counted twice. */
    static long bytes(Post post) {
        long n = 2 * utf8(post.getBody()) + utf8(post.getTitle()) + utf8(post.getUrl()) + utf8(post.getAuthor());
        for (PostImage i : post.getImages()) {
            n += utf8(i.getUrl());
        }
        return n;
    }

    static long maxBytes() {
        return RecordLimits.maxValueBytes(Topics.CAPTIONED_POSTS) - CAPTION_ROOM_BYTES;
    }

    private static long utf8(CharSequence s) {
        return s == null ? 0 : s.toString().getBytes(StandardCharsets.UTF_8).length;
    }
}
