package io.llmgateway.stream;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One decoded unit of a streamed response: an SSE event or an NDJSON line. The payload is kept
 * as the bytes that arrived; its text is only decoded when asked for, since a JSON reader can
 * read the bytes themselves.
 */
public final class Frame {

	private final String type;

	private final byte[] data;

	private String text;

	private final long endPosition;

	/**
	 * A frame of text.
	 * @param type the SSE {@code event:} field, or {@code null} where the framing has no type
	 * @param data the payload: the SSE {@code data:} lines joined with LF, or the NDJSON line
	 * @param endPosition stream position just after the frame's last byte
	 */
	public Frame(String type, String data, long endPosition) {
		this(type, data.getBytes(StandardCharsets.UTF_8), endPosition);
		this.text = data;
	}

	/**
	 * A frame of bytes, UTF-8 by the framings' rules.
	 * @param data the payload's bytes, owned by the frame from now on
	 */
	Frame(String type, byte[] data, long endPosition) {
		this.type = type;
		this.data = data;
		this.endPosition = endPosition;
	}

	/** The SSE {@code event:} field, or {@code null} where the framing has no type. */
	public String type() {
		return this.type;
	}

	/** The payload as text (malformed UTF-8 replaced). */
	public String data() {
		String text = this.text;
		if (text == null) {
			text = new String(this.data, StandardCharsets.UTF_8);
			this.text = text;
		}
		return text;
	}

	/** The payload's bytes: the frame's own array, which must not be changed. */
	public byte[] dataBytes() {
		return this.data;
	}

	/** Whether the payload is the given ASCII text, blanks around it aside. */
	public boolean dataIs(String ascii) {
		int start = 0;
		int end = this.data.length;
		while (start < end && isBlank(this.data[start])) {
			start++;
		}
		while (end > start && isBlank(this.data[end - 1])) {
			end--;
		}
		if (end - start != ascii.length()) {
			return false;
		}
		for (int i = 0; i < ascii.length(); i++) {
			if (this.data[start + i] != ascii.charAt(i)) {
				return false;
			}
		}
		return true;
	}

	/** Stream position just after the frame's last byte. */
	public long endPosition() {
		return this.endPosition;
	}

	private static boolean isBlank(byte b) {
		return b == ' ' || b == '\t' || b == '\n' || b == '\r';
	}

	@Override
	public boolean equals(Object other) {
		return this == other || (other instanceof Frame frame && Objects.equals(this.type, frame.type)
				&& Arrays.equals(this.data, frame.data) && this.endPosition == frame.endPosition);
	}

	@Override
	public int hashCode() {
		return 31 * (31 * Objects.hashCode(this.type) + Arrays.hashCode(this.data)) + Long.hashCode(this.endPosition);
	}

	@Override
	public String toString() {
		return "Frame[type=" + this.type + ", data=" + data() + ", endPosition=" + this.endPosition + "]";
	}

}
