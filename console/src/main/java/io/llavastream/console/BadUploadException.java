package io.llavastream.console;

/** An upload the console refuses (answered 400 with this message): empty, too large, or not an image. */
final class BadUploadException extends Exception {
    BadUploadException(String message) {
        super(message);
    }
}
