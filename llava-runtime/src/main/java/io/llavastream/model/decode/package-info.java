/**
 * Autoregressive decoding: the LLaMA-style {@link io.llavastream.model.decode.LlamaDecoder} with its {@link
 * io.llavastream.model.decode.KvCache}, the {@link io.llavastream.model.decode.Sampler} (greedy, or temperature
 * and top-p with a seed) and the {@link io.llavastream.model.decode.Generator} loop that stops at EOS, at the
 * maximum number of new tokens or at the end of the context; and the {@link
 * io.llavastream.model.decode.ContinuousBatcher}, which decodes many sequences at once over a pre-allocated cache
 * ({@code KvSlots}) that its step ({@code SlotStep}, on {@code decoder_step.onnx}) writes in place.
 */
package io.llavastream.model.decode;
