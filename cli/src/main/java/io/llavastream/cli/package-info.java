/**
 * The {@code ./llava-stream} front door: one picocli subcommand per user-facing command. Commands that report
 * results take {@code --json} and then print one JSON object per line; progress goes to stderr.
 */
package io.llavastream.cli;
