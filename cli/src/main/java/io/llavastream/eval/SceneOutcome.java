package io.llavastream.eval;

import java.util.List;

/** What the model said about one scene, next to the ground truth. */
public record SceneOutcome(String sceneId, String expectedCaption, String caption, List<QuestionOutcome> questions) {

    /** One visual question's result. */
    public record QuestionOutcome(String type, String question, String expected, String answer) {
        public boolean correct() {
            return Normalize.text(expected).equals(Normalize.text(answer));
        }
    }

    public boolean captionCorrect() {
        return Normalize.text(expectedCaption).equals(Normalize.text(caption));
    }
}
