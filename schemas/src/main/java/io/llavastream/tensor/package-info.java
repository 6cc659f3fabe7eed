/**
 * Tensors on the wire: {@link io.llavastream.tensor.TensorCodec} turns float arrays into the Avro
 * {@code Tensor} record (dtype, shape, little-endian bytes) and back, checking that the bytes agree with the shape
 * and dtype before anything is allocated; a tensor that fails is a
 * {@link io.llavastream.tensor.BadTensorException} (dead-letter reason BAD_TENSOR).
 */
package io.llavastream.tensor;
