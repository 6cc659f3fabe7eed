package io.llavastream.model;

/** A model directory or graph that is not what the runtime expects; the message names the value and file. */
public class ModelException extends RuntimeException {
    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
