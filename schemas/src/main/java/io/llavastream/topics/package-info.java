/**
 * Every topic of the pipeline, defined once as a typed constant with its partition count, configs and value type;
 * no topic name appears anywhere else. Keys are strings on every topic.
 */
package io.llavastream.topics;
