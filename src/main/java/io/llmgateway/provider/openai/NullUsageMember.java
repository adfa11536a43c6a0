package io.llmgateway.provider.openai;

import java.nio.charset.StandardCharsets;

/**
 * Finds the {@code "usage":null} member that OpenAI adds to every stream chunk once usage is asked
 * for, with the comma that joins it to a neighbour, in a chunk's bytes: the first of
 * {@code , "usage" : null} followed by {@code ,} or <code>}</code>, or {@code "usage" : null ,}.
 * Blanks between the tokens are those of JSON and of Java's {@code \s}. Everything it matches is
 * ASCII, so the bytes need no decoding: a stream whose usage the gateway asked for has one such
 * member per chunk.
 */
final class NullUsageMember {

	private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

	private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

	private NullUsageMember() {
	}

	/**
	 * The member's text, comma included, as it occurs first in {@code data}, or {@code null}.
	 */
	static String find(byte[] data) {
		for (int start = 0; start < data.length; start++) {
			int end = -1;
			if (data[start] == ',') {
				end = afterCommaFirst(data, start);
			}
			else if (data[start] == '"') {
				end = afterCommaLast(data, start);
			}
			if (end > 0) {
				return new String(data, start, end - start, StandardCharsets.US_ASCII);
			}
		}
		return null;
	}

	/** {@code , "usage" : null} followed by {@code ,} or <code>}</code> (not taken): its end, or -1. */
	private static int afterCommaFirst(byte[] data, int comma) {
		int end = member(data, skipBlanks(data, comma + 1));
		if (end < 0) {
			return -1;
		}
		int next = skipBlanks(data, end);
		return (next < data.length && (data[next] == ',' || data[next] == '}')) ? end : -1;
	}

	/** {@code "usage" : null ,}: its end (after the comma), or -1. */
	private static int afterCommaLast(byte[] data, int quote) {
		int end = member(data, quote);
		if (end < 0) {
			return -1;
		}
		int comma = skipBlanks(data, end);
		return (comma < data.length && data[comma] == ',') ? comma + 1 : -1;
	}

	/** {@code "usage" : null} starting at {@code from}: its end, or -1. */
	private static int member(byte[] data, int from) {
		int at = expect(data, from, USAGE);
		if (at < 0) {
			return -1;
		}
		at = skipBlanks(data, at);
		if (at >= data.length || data[at] != ':') {
			return -1;
		}
		return expect(data, skipBlanks(data, at + 1), NULL);
	}

	private static int expect(byte[] data, int from, byte[] token) {
		if (from + token.length > data.length) {
			return -1;
		}
		for (int i = 0; i < token.length; i++) {
			if (data[from + i] != token[i]) {
				return -1;
			}
		}
		return from + token.length;
	}

	private static int skipBlanks(byte[] data, int from) {
		int at = from;
		while (at < data.length && isBlank(data[at])) {
			at++;
		}
		return at;
	}

	/** Java's {@code \s}: space, tab, LF, vertical tab, form feed, CR. */
	private static boolean isBlank(byte b) {
		return b == ' ' || b == '\t' || b == '\n' || b == 0x0B || b == '\f' || b == '\r';
	}

}
