package io.llavastream.scenes;

/** A visual question about a scene and its one-word ground-truth answer. */
public record Question(QuestionType type, String question, String answer) {
}
