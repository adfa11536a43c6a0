package io.llmgateway.observation;

import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * One JSON object on one line, written straight into a {@link StringBuilder}. The access log
 * writes one per call on the event loop; a Jackson generator over a {@code StringWriter} cost
 * about twice as much, most of it in the generator's setup, {@code Double.toString} and
 * {@code Instant.toString}.
 *
 * <p>Strings are escaped as JSON requires ({@code "}, {@code \} and control characters), so no
 * value can break the line.
 */
final class JsonLine {

	private static final char[] HEX = "0123456789abcdef".toCharArray();

	/** The timestamp's text up to the second, reused while the second lasts. */
	private static volatile Second second = new Second(Long.MIN_VALUE, "");

	private final StringBuilder out;

	private boolean empty = true;

	JsonLine(int capacity) {
		this.out = new StringBuilder(capacity).append('{');
	}

	JsonLine string(String name, String value) {
		name(name);
		if (value == null) {
			this.out.append("null");
		}
		else {
			quoted(value);
		}
		return this;
	}

	JsonLine number(String name, long value) {
		name(name).append(value);
		return this;
	}

	/** A finite value as {@link Double#toString(double)} writes it; NaN and infinities as null. */
	JsonLine number(String name, double value) {
		if (Double.isFinite(value)) {
			name(name).append(value);
		}
		else {
			nullValue(name);
		}
		return this;
	}

	/** A duration in nanoseconds as milliseconds with up to six decimals, e.g. {@code 12.0345}. */
	JsonLine millis(String name, long nanos) {
		StringBuilder out = name(name);
		if (nanos < 0) {
			out.append('-');
			nanos = -nanos;
		}
		out.append(nanos / 1_000_000);
		int fraction = (int) (nanos % 1_000_000);
		if (fraction != 0) {
			out.append('.');
			fraction(fraction, 6, true);
		}
		return this;
	}

	JsonLine bool(String name, boolean value) {
		name(name).append(value);
		return this;
	}

	JsonLine nullValue(String name) {
		name(name).append("null");
		return this;
	}

	/** The instant as {@link Instant#toString()} writes it, e.g. {@code 2026-12-07T04:21:44.851234Z}. */
	JsonLine timestamp(String name, Instant instant) {
		StringBuilder out = name(name).append('"').append(secondOf(instant.getEpochSecond()));
		int nanos = instant.getNano();
		if (nanos != 0) {
			out.append('.');
			if (nanos % 1_000_000 == 0) {
				fraction(nanos / 1_000_000, 3, false);
			}
			else if (nanos % 1_000 == 0) {
				fraction(nanos / 1_000, 6, false);
			}
			else {
				fraction(nanos, 9, false);
			}
		}
		out.append("Z\"");
		return this;
	}

	/** The line, closed. */
	String end() {
		return this.out.append('}').toString();
	}

	private StringBuilder name(String name) {
		if (!this.empty) {
			this.out.append(',');
		}
		this.empty = false;
		quoted(name);
		return this.out.append(':');
	}

	/** Writes {@code value} as {@code digits} digits with leading zeros, trailing zeros dropped if asked. */
	private void fraction(int value, int digits, boolean trim) {
		int start = this.out.length();
		for (int i = 0; i < digits; i++) {
			this.out.append('0');
		}
		for (int i = start + digits - 1; value != 0; i--, value /= 10) {
			this.out.setCharAt(i, (char) ('0' + value % 10));
		}
		int end = this.out.length();
		while (trim && end > start + 1 && this.out.charAt(end - 1) == '0') {
			end--;
		}
		this.out.setLength(end);
	}

	private void quoted(String value) {
		StringBuilder out = this.out.append('"');
		int plain = 0;
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c >= 0x20 && c != '"' && c != '\\') {
				continue;
			}
			out.append(value, plain, i).append('\\');
			switch (c) {
				case '"', '\\' -> out.append(c);
				case '\n' -> out.append('n');
				case '\r' -> out.append('r');
				case '\t' -> out.append('t');
				case '\b' -> out.append('b');
				case '\f' -> out.append('f');
				default -> out.append("u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
			}
			plain = i + 1;
		}
		out.append(value, plain, value.length()).append('"');
	}

	private static String secondOf(long epochSecond) {
		Second current = second;
		if (current.epochSecond != epochSecond) {
			String text = DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(epochSecond));
			current = new Second(epochSecond, text.substring(0, text.length() - 1));
			second = current;
		}
		return current.text;
	}

	private record Second(long epochSecond, String text) {
	}

}
