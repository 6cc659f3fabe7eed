package io.llavastream.topology;

import java.util.Map;

/**
 * The prompt an image is answered with: the post's question in the model's template, else its source's template
 * ({@value PipelineConfig#SOURCE_PROMPTS_CONFIG}), else the default prompt.
 */
final class Prompts {
    private Prompts() {
    }

    /** "USER: &lt;image&gt;\n{question} ASSISTANT:" when {@code question} has text, else {@code defaultPrompt}. */
    static String forQuestion(String question, String defaultPrompt) {
        return forPost(question, null, Map.of(), defaultPrompt);
    }

    /** The question's prompt, else {@code sourcePrompts.get(source)}, else {@code defaultPrompt}. */
    static String forPost(String question, String source, Map<String, String> sourcePrompts, String defaultPrompt) {
        if (question != null && !question.isBlank()) {
            return "USER: " + PipelineConfig.IMAGE_PLACEHOLDER + "\n" + question.strip() + " ASSISTANT:";
        }
        String template = source == null ? null : sourcePrompts.get(source);
        return template != null ? template : defaultPrompt;
    }
}
