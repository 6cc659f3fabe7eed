package io.llavastream.model.adapter;

import io.llavastream.model.ModelException;

/** An adapter directory that cannot be used, or an adapter name that is not loaded; the message says which. */
public class AdapterException extends ModelException {
    public AdapterException(String message) {
        super(message);
    }

    public AdapterException(String message, Throwable cause) {
        super(message, cause);
    }
}
