package io.llavastream.rules;

import java.util.Map;
import java.util.Objects;

/**
 * The prompt an image is answered with: the post's question (when it has non-blank text) in the model's template,
 * else its source's template ({@code source.prompts}), else the default prompt. A question longer than
 * {@link #maxQuestionChars()} is refused before anything tokenizes it.
 *
 * @param defaultPrompt    the prompt of a post without a question or source template; one {@code <image>}
 * @param sourcePrompts    source to template, each with one {@code <image>}
 * @param maxQuestionChars the longest question accepted, in UTF-16 chars
 */
public record PromptRule(String defaultPrompt, Map<String, String> sourcePrompts, int maxQuestionChars) {
    public static final String IMAGE_PLACEHOLDER = "<image>";
    /** The default of {@code max.question.chars}: far above any real question, far below a tokenizer's worry. */
    public static final int DEFAULT_MAX_QUESTION_CHARS = 2000;

    public PromptRule {
        requireOnePlaceholder("default prompt", defaultPrompt);
        sourcePrompts = Map.copyOf(sourcePrompts);
        sourcePrompts.forEach((s, t) -> requireOnePlaceholder("template of source \"" + s + "\"", t));
        if (maxQuestionChars < 1) {
            throw new IllegalArgumentException("maxQuestionChars is " + maxQuestionChars + ", expected at least 1");
        }
    }

    /** The LLaVA-1.5 caption prompt the demo model was trained with, no source templates, the default cap. */
    public static PromptRule defaults() {
        return new PromptRule("USER: " + IMAGE_PLACEHOLDER + "\ndescribe the image. ASSISTANT:", Map.of(),
                DEFAULT_MAX_QUESTION_CHARS);
    }

    public PromptRule withSourcePrompts(Map<String, String> prompts) {
        return new PromptRule(defaultPrompt, prompts, maxQuestionChars);
    }

    /** "USER: &lt;image&gt;\n{question} ASSISTANT:" for a non-blank question, else the source's template or default. */
    public String prompt(String question, String source) {
        if (hasQuestion(question)) {
            return "USER: " + IMAGE_PLACEHOLDER + "\n" + question.strip() + " ASSISTANT:";
        }
        String template = source == null ? null : sourcePrompts.get(source);
        return template != null ? template : defaultPrompt;
    }

    /** Why {@code question} is refused, or null when it is accepted (null and blank questions are accepted). */
    public String refusal(String question) {
        if (question != null && question.length() > maxQuestionChars) {
            return "question of " + question.length() + " chars is longer than max.question.chars = "
                    + maxQuestionChars;
        }
        return null;
    }

    /** A question counts when it has text; a blank one means "caption it". */
    public static boolean hasQuestion(String question) {
        return question != null && !question.isBlank();
    }

    /** Throws when {@code template} does not hold {@code <image>} exactly once. */
    public static void requireOnePlaceholder(String what, String template) {
        Objects.requireNonNull(template, what);
        int first = template.indexOf(IMAGE_PLACEHOLDER);
        if (first < 0 || template.indexOf(IMAGE_PLACEHOLDER, first + 1) >= 0) {
            throw new IllegalArgumentException(what + " (\"" + template + "\") must contain " + IMAGE_PLACEHOLDER
                    + " exactly once");
        }
    }
}
