/**
 * Every topic of the pipeline, defined once as a typed constant with its partition count, configs and value type;
 * no topic name appears anywhere else. Keys are strings on every pipeline topic. The schema registry's store,
 * {@link io.llavastream.topics.Topics#SCHEMAS}, is a {@link io.llavastream.topics.JsonTopic}: JSON keys and values.
 */
package io.llavastream.topics;
