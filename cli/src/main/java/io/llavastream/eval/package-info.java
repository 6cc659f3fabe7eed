/**
 * In-process evaluation of a model on generated scenes: caption exact-match, VQA accuracy per question type, and
 * CLIP text-to-image retrieval recall@1.
 */
package io.llavastream.eval;
