package io.llavastream.scenes;

/** The kinds of visual question every scene carries one of. */
public enum QuestionType {
    COLOR, SHAPE, COUNT, POSITION, SIZE, YES_NO;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
