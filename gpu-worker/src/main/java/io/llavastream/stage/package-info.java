/**
 * The model stages as resumable machines ({@link io.llavastream.stage.StageMachine}): pure compute over decoded
 * Avro records, usable by the Kafka driver ({@code io.llavastream.worker}) and by an in-process driver alike.
 * A driver submits inputs with tags of its own and steps the machine; each step returns the inputs that finished
 * in it ({@link io.llavastream.stage.Finished}), as outputs to publish or as a failure with a
 * {@link io.llavastream.rules.DeadLetterReason} and the outputs that still let the post complete (an ERROR
 * answer).
 *
 * <ul>
 *   <li>{@link io.llavastream.stage.VisionMachine}: image decoder + CLIP processor + vision tower
 *       ({@link io.llavastream.model.VisionParts}), a synchronous batch.</li>
 *   <li>{@link io.llavastream.stage.CachedVisionMachine}: the vision machine behind the vision worker's
 *       {@link io.llavastream.stage.EncoderCache} (hits skip the vision compute).</li>
 *   <li>{@link io.llavastream.stage.MergeMachine}: projector + tokenizer + token embedder + token merge
 *       ({@link io.llavastream.model.MergeParts}), a synchronous batch.</li>
 *   <li>{@link io.llavastream.stage.DecodeMachine}: continuous batching over the decoder
 *       ({@link io.llavastream.model.DecodeParts}); requests join and leave the running batch step by step.
 *       Built to stream tokens, it also makes one token delta per running request per step (a
 *       {@code TokenStream} per decode attempt), drained as previews ({@link
 *       io.llavastream.stage.StageMachine#drainPreviews}).</li>
 * </ul>
 *
 * {@link io.llavastream.stage.IsolatingMachine} wraps any of them so that a step that throws fails only the input
 * that fails alone (STAGE_ERROR). Tensors cross processes through {@link io.llavastream.tensor.TensorCodec};
 * cache keys come from {@link io.llavastream.rules.CacheKey}.
 */
package io.llavastream.stage;
