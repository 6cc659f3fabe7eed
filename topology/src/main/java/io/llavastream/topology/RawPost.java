package io.llavastream.topology;

import io.llavastream.schemas.Post;

/** A decoded post with the exact key and value bytes it was read from (for dead letters further down). */
record RawPost(Post post, byte[] key, byte[] value) {
}
