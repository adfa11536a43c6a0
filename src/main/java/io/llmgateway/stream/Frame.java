package io.llmgateway.stream;

/**
 * One decoded unit of a streamed response: an SSE event or an NDJSON line.
 *
 * @param type the SSE {@code event:} field, or {@code null} where the framing has no type
 * @param data the payload: the SSE {@code data:} lines joined with LF, or the NDJSON line
 * @param endPosition stream position just after the frame's last byte
 */
public record Frame(String type, String data, long endPosition) {
}
