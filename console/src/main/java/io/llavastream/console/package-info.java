/**
 * The web console: a small HTTP server (the JDK's) that shows the pipeline live. It reads the posts, answers,
 * answer-tokens and captioned-posts topics (read_committed, assigned, never committing), pushes captioned posts,
 * token previews and a stage-stats snapshot to browsers as server-sent events, answers text-to-image searches from
 * the search module's index, and writes uploaded images as posts to the posts topic. Stage lag and throughput come
 * from Kafka itself (consumer group offsets and end offsets through an admin client), so the same console works for
 * the embedded demo and for a pipeline of separate processes. See docs/console.md.
 */
package io.llavastream.console;
