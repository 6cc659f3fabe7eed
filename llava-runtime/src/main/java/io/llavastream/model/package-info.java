/**
 * The LLaVA model runtime on ONNX Runtime: the model directory and its configs, each stage's parts loaded alone
 * ({@link io.llavastream.model.VisionParts}, {@link io.llavastream.model.MergeParts},
 * {@link io.llavastream.model.DecodeParts}: only their own graphs, so a stage's process holds nothing else), and
 * {@link io.llavastream.model.LlavaModel}, which loads every graph once and chains the stages in-process (no
 * Kafka).
 *
 * <p>Sub-packages hold one stage per class: {@code image} (decode + CLIP preprocessing), {@code vision} (CLIP ViT
 * and projector), {@code text} (tokenizer, token embeddings, the LLaVA merge, the CLIP text tower) and {@code
 * decode} (the LLaMA decoder with its KV cache, and sampling).
 */
package io.llavastream.model;
