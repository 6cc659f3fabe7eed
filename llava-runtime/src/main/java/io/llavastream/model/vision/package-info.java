/**
 * Vision stages: the CLIP ViT ({@link io.llavastream.model.vision.VisionTower}), which turns pixel values into
 * patch features Zv and the pooled CLIP image embedding, and LLaVA's MLP {@link
 * io.llavastream.model.vision.Projector}, which maps Zv into the language model's embedding space (Hv).
 */
package io.llavastream.model.vision;
