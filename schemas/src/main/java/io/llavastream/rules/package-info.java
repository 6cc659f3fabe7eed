/**
 * The rules that cross processes, written once: the topology, the stage workers, the in-process driver and replay
 * all call these, so a replay splits, prompts and caches exactly as the live pipeline does.
 *
 * <ul>
 *   <li>{@link io.llavastream.rules.ImageTasks}: a post becomes one task per image (task id, SHA-256, prompt);</li>
 *   <li>{@link io.llavastream.rules.PromptRule}: question, else the source's template, else the default; the
 *       question length cap;</li>
 *   <li>{@link io.llavastream.rules.CacheKey}: the vision cache's key;</li>
 *   <li>{@link io.llavastream.rules.DeadLetterReason}: every reason a record is dead-lettered;</li>
 *   <li>{@link io.llavastream.rules.DeadLetterRecords}: the one builder of dead letters, which caps their size;</li>
 *   <li>{@link io.llavastream.rules.StageName}: the stages, naming consumer groups and dead letters;</li>
 *   <li>{@link io.llavastream.rules.TokenFold}: token deltas folded into each answer's text as it grows.</li>
 * </ul>
 */
package io.llavastream.rules;
