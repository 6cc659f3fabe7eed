/**
 * A running process's status file ({@code --status-file PATH} of {@code broker}, {@code topology} and
 * {@code worker}): a small JSON object rewritten every second with the process's role, stage, instance id, pid,
 * counts, the offsets its consumer has read up to, and its heap, so that a supervisor (the chaos test, a probe)
 * can see what the process is doing without attaching to it.
 */
package io.llavastream.status;
