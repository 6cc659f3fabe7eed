package io.llavastream.topology;

import io.llavastream.schemas.Post;

/**
 * A decoded post with the exact key and value bytes it was read from (for dead letters further down), and when the
 * topology read it (wall clock, ms): its tasks' and its metadata's received_at, from which its timeout runs.
 */
record RawPost(Post post, byte[] key, byte[] value, long receivedAt) {
}
