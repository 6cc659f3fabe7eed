package io.llavastream.deploy;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads. Strict on purpose: after strings, label matchers, range selectors,
 * grouping label lists and numbers are taken out, every identifier followed by {@code (} (or by {@code by}/{@code without}, as in {@code sum by (stage) (...)})
 * must be a known PromQL
 * function or aggregation and every other one a keyword or a metric name, so a misspelled function or a metric with
 * a stray word fails instead of being skipped. Reads no topic.
 */
final class PromQl {
    static final Set<String> FUNCTIONS = Set.of("sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk",
            "bottomk", "quantile", "count_values", "group", "rate", "irate", "increase", "delta", "idelta", "deriv",
            "histogram_quantile", "clamp", "clamp_min", "clamp_max", "abs", "ceil", "floor", "round", "sqrt", "exp",
            "ln", "log2", "log10", "label_replace", "label_join", "vector", "scalar", "time", "timestamp",
            "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time", "last_over_time",
            "quantile_over_time", "absent", "absent_over_time", "changes", "resets", "sort", "sort_desc");
    static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private PromQl() {
    }

    /** The metric names in {@code expr}, in order of appearance. */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
                .replaceAll("\\{[^}]*}", "")
                .replaceAll("\\[[^\\]]*]", "");
        s = GROUPING.matcher(s).replaceAll("$1");
        s = s.replaceAll("(?<![a-zA-Z0-9_:])\\d+(\\.\\d+)?([eE][-+]?\\d+)?", "");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String word = m.group();
            String rest = s.substring(m.end()).stripLeading();
            boolean call = rest.startsWith("(") || rest.matches("(?s)(by|without)\\b.*");
            if (KEYWORDS.contains(word)) {
                continue;
            }
            if (call) {
                if (!FUNCTIONS.contains(word)) {
                    throw new AssertionError("unknown PromQL function " + word + " in: " + expr);
                }
            } else {
                names.add(word);
            }
        }
        return names;
    }
}
