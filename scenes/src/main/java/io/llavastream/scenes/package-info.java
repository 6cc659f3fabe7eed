/**
 * Synthetic shape scenes: one generator feeds the demo model's training data, the demo, the load generator
 * and the tests.
 *
 * <p>A {@link io.llavastream.scenes.Scene} holds one or two coloured shapes on a plain background, its
 * ground-truth caption and one question of each {@link io.llavastream.scenes.QuestionType}. Scenes are
 * deterministic: scene {@code i} of seed {@code s} is the same whatever the count asked for.
 */
package io.llavastream.scenes;
